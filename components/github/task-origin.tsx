import type { TaskOrigin } from "@/lib/github-hooks/origin";

const RESULT = { review: "View the review", fix: "View the pull request", issue: "View the pull request" } as const;

/** A line above a task started from GitHub: who asked, where (a link back to the comment), and what was posted. */
export function TaskOriginNote({ origin }: { origin: TaskOrigin }) {
  const where = `${origin.repoFullName}#${origin.number}`;
  const asked = origin.viaComment ? "comment" : "review request";
  return (
    <p className="pt-4 text-xs text-muted" data-testid="task-origin">
      From GitHub:{" "}
      <a href={origin.url} className="underline hover:text-fg" rel="noreferrer">
        @{origin.requestedBy}&rsquo;s {asked} on {where}
      </a>{" "}
      <span className="text-muted">({origin.title})</span>
      {origin.resultUrl && (
        <>
          {" · "}
          <a href={origin.resultUrl} className="underline hover:text-fg" rel="noreferrer">
            {RESULT[origin.kind]}
          </a>
        </>
      )}
    </p>
  );
}
