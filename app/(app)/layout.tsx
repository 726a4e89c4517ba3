import Link from "next/link";
import { requirePageUser } from "@/lib/auth/session";
import { Logo } from "@/components/ui/logo";
import { BoardLive } from "@/components/layout/board-live";
import { CurrentUserProvider } from "@/components/layout/current-user";
import { ThemeToggle } from "@/components/layout/theme-toggle";
import { UsageSummary } from "@/components/layout/usage-summary";
import { UserMenu } from "@/components/layout/user-menu";

export default async function AppLayout({ children }: { children: React.ReactNode }) {
  const user = await requirePageUser();
  const login = user.githubLogin ?? user.name ?? "you";
  return (
    <CurrentUserProvider user={{ id: user.id, login }}>
      <BoardLive />
      <div className="min-h-screen">
        <header className="sticky top-0 z-20 border-b border-border bg-bg/90 backdrop-blur">
          <div className="mx-auto flex h-12 max-w-7xl items-center justify-between px-4">
            <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight text-fg">
              <Logo />
              Patchbay
            </Link>
            <div className="flex items-center gap-1">
              <UsageSummary />
              <Link href="/settings/tokens" className="rounded-md px-2 py-1 text-sm text-muted hover:bg-surface-2 hover:text-fg">
                API tokens
              </Link>
              <ThemeToggle />
              <UserMenu name={login} image={user.image} />
            </div>
          </div>
        </header>
        <main className="mx-auto max-w-7xl px-4 pb-16">{children}</main>
      </div>
    </CurrentUserProvider>
  );
}
