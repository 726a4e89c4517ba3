import { redirect } from "next/navigation";
import { getSessionUser } from "@/lib/auth/session";
import { getEnv } from "@/lib/env";
import { Logo } from "@/components/ui/logo";
import { SignInButton } from "@/components/layout/sign-in-button";
import { ThemeToggle } from "@/components/layout/theme-toggle";

export const metadata = { title: "Sign in" };

const errorMessages: Record<string, string> = {
  OAuthSignin: "Patchbay could not start the GitHub sign-in. Check the GitHub App's client id.",
  OAuthCallback: "GitHub's answer could not be used. Try again; if it persists, check the App's client secret and callback URL.",
  OAuthAccountNotLinked: "That email is already linked to another Patchbay account.",
  Callback: "Sign-in failed while finishing. Try again.",
  AccessDenied: "Access was denied.",
  Configuration: "The server's sign-in configuration is incomplete.",
};

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const params = await searchParams;
  if (!params.reauth && (await getSessionUser())) redirect("/");
  const env = getEnv();
  const configured = Boolean(env.GITHUB_CLIENT_ID && env.GITHUB_CLIENT_SECRET);
  const error = params.error ? (errorMessages[params.error] ?? "Sign-in failed. Try again.") : null;
  return (
    <main className="relative flex min-h-screen items-center justify-center px-4">
      <div className="absolute right-4 top-4">
        <ThemeToggle />
      </div>
      <div className="w-full max-w-sm rounded-2xl border border-border bg-surface p-8 shadow-sm">
        <div className="flex items-center gap-2 text-fg">
          <Logo size={26} />
          <span className="text-lg font-semibold tracking-tight">Patchbay</span>
        </div>
        <h1 className="mt-6 text-xl font-semibold tracking-tight">Sign in to continue</h1>
        <p className="mt-1 text-sm text-muted">
          Run coding agents on your repositories, watch them work, and open pull requests.
        </p>
        {error && (
          <p role="alert" className="mt-4 rounded-lg bg-danger-bg px-3 py-2 text-sm text-danger">
            {error}
          </p>
        )}
        {configured ? (
          <SignInButton />
        ) : (
          <p role="alert" className="mt-6 rounded-lg bg-surface-2 px-3 py-2 text-sm text-muted">
            GitHub sign-in is not configured: set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (see the README), or run{" "}
            <code className="font-mono">npm run demo</code> for the offline demo.
          </p>
        )}
      </div>
    </main>
  );
}
