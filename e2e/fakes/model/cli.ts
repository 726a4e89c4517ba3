/** Starts the fake model server: `tsx e2e/fakes/model/cli.ts --port 3102 [--host 127.0.0.1] [--fixtures dir]`. */
import { parseArgs } from "node:util";

import { startFakeModel } from "./server";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "3102" },
    host: { type: "string", default: "127.0.0.1" },
    fixtures: { type: "string" },
  },
});

const server = await startFakeModel({ port: Number(values.port), host: values.host, fixturesDir: values.fixtures });
console.log(`fake model listening on ${server.url}`);

const stop = () => {
  void server.close().finally(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
