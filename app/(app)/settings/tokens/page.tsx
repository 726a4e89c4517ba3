import Link from "next/link";
import { TokensPanel } from "@/components/settings/tokens-panel";
import { requirePageUser } from "@/lib/auth/session";
import { getEnv } from "@/lib/env";

export const metadata = { title: "API tokens" };

export default async function TokensPage() {
  await requirePageUser();
  const appUrl = getEnv().NEXTAUTH_URL.replace(/\/+$/, "");
  return (
    <div className="mx-auto max-w-3xl pt-6">
      <Link href="/" className="text-xs text-muted hover:text-fg">
        ← Tasks
      </Link>
      <h1 className="mt-1 text-lg font-semibold tracking-tight">API tokens</h1>
      <p className="mb-6 mt-1 text-sm text-muted">
        Personal access tokens let scripts and the <code className="font-mono text-xs">patchbay</code> command line reach your
        tasks as you, within the scopes you give them. The API is described at{" "}
        <a href="/api/openapi.json" className="underline underline-offset-2 hover:text-fg">
          /api/openapi.json
        </a>
        .
      </p>
      <TokensPanel appUrl={appUrl} />
    </div>
  );
}
