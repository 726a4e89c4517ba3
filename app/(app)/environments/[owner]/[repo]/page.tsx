import Link from "next/link";
import { notFound } from "next/navigation";
import { z } from "zod";
import { EnvironmentForm } from "@/components/environments/environment-form";
import { ReviewSettings } from "@/components/github/review-settings";
import { requirePageUser } from "@/lib/auth/session";

export const metadata = { title: "Environment" };

const segment = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/);

export default async function EnvironmentPage({ params }: { params: Promise<{ owner: string; repo: string }> }) {
  await requirePageUser();
  const { owner, repo } = await params;
  if (!segment.safeParse(owner).success || !segment.safeParse(repo).success) notFound();
  return (
    <div className="mx-auto max-w-3xl pt-6">
      <Link href="/" className="text-xs text-muted hover:text-fg">
        ← Tasks
      </Link>
      <h1 className="mt-1 text-lg font-semibold tracking-tight">
        Environment · <span className="font-mono text-base">{owner}/{repo}</span>
      </h1>
      <p className="mb-6 mt-1 text-sm text-muted">How tasks on this repository prepare their sandbox, and what they may reach on the internet.</p>
      <EnvironmentForm repoFullName={`${owner}/${repo}`} />
      <ReviewSettings repoFullName={`${owner}/${repo}`} />
    </div>
  );
}
