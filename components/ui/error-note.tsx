export type ClientError = { code: string; message: string; action?: { label: string; href: string } };

/** A calm, specific error with its way out. */
export function ErrorNote({ error, onRetry }: { error: ClientError; onRetry?: () => void }) {
  return (
    <div role="alert" className="rounded-lg border border-border bg-danger-bg px-3 py-2 text-sm text-danger">
      <p>{error.message}</p>
      <div className="mt-1 flex gap-3">
        {error.action && (
          <a className="font-medium underline underline-offset-2" href={error.action.href}>
            {error.action.label}
          </a>
        )}
        {onRetry && (
          <button type="button" className="font-medium underline underline-offset-2" onClick={onRetry}>
            Try again
          </button>
        )}
      </div>
    </div>
  );
}
