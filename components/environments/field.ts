/** A text field or textarea of the environment form. */
export const fieldClass = "block w-full rounded-lg border border-border bg-surface px-3 py-2 text-sm placeholder:text-muted";
