// Applies the committed migrations to the PostgreSQL server named by DATABASE_URL (embedded mode migrates on start).
import { openPostgres } from "@/db/client";
import { getEnv } from "@/lib/env";

const env = getEnv();
if (!env.DATABASE_URL) {
  console.log("DATABASE_URL is not set: the embedded database migrates itself when the app starts.");
  process.exit(0);
}
const handle = await openPostgres(env.DATABASE_URL, { migrate: true, max: 1 });
await handle.close();
console.log("migrations applied");
