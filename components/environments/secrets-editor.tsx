import { useId, useState } from "react";
import { Button } from "@/components/ui/button";
import { varNameProblem } from "./var-name";

/** Secret names (values are write-only), with a row to add one. */
export function SecretsEditor({
  names,
  pending,
  onAdd,
  onRemove,
}: {
  names: string[];
  /** Names added or changed here and not saved yet. */
  pending: string[];
  onAdd: (name: string, value: string) => void;
  onRemove: (name: string) => void;
}) {
  const id = useId();
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  // A bad name is said at once and never joins the list: the list holds only names the server will take.
  const add = () => {
    const trimmed = name.trim();
    if (!trimmed || !value) return;
    const why = varNameProblem(trimmed);
    if (why) return setProblem(why);
    onAdd(trimmed, value);
    setName("");
    setValue("");
    setProblem(null);
  };
  return (
    <div role="group" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`} className="text-sm font-medium">
        Secrets
      </h3>
      <p className="mt-0.5 text-xs text-muted">
        Encrypted at rest, given to the setup and maintenance scripts only (never to the agent), masked in their log,
        and never shown again.
      </p>
      <ul className="mt-2 flex flex-col gap-1" aria-label="Saved secrets">
        {names.length === 0 && <li className="text-xs text-muted">No secrets.</li>}
        {names.map((n) => (
          <li key={n} className="flex items-center justify-between gap-3 rounded-lg border border-border bg-surface px-3 py-1.5 text-sm">
            <span className="min-w-0 font-mono [overflow-wrap:anywhere]">
              {n}
              {pending.includes(n) && <span className="ml-2 font-sans text-xs text-muted">not saved yet</span>}
            </span>
            <button
              type="button"
              className="shrink-0 rounded text-xs text-danger hover:underline"
              aria-label={`Remove secret ${n}`}
              onClick={() => onRemove(n)}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      <div className="mt-2 flex flex-wrap gap-2">
        <label htmlFor={`${id}-name`} className="sr-only">
          Secret name
        </label>
        <input
          id={`${id}-name`}
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            setProblem(null);
          }}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? `${id}-problem` : undefined}
          onKeyDown={(e) => {
            if (e.key === "Enter") {
              e.preventDefault();
              add();
            }
          }}
          placeholder="NAME"
          spellCheck={false}
          autoCapitalize="characters"
          className="h-8 w-40 rounded-lg border border-border bg-surface px-2 font-mono text-sm placeholder:text-muted"
        />
        <label htmlFor={`${id}-value`} className="sr-only">
          Secret value
        </label>
        <input
          id={`${id}-value`}
          type="password"
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          onKeyDown={(e) => {
            // Enter adds the secret rather than saving the whole form with a half-typed one.
            if (e.key === "Enter") {
              e.preventDefault();
              add();
            }
          }}
          placeholder="value"
          className="h-8 min-w-0 flex-1 basis-40 rounded-lg border border-border bg-surface px-2 text-sm placeholder:text-muted"
        />
        <Button onClick={add} disabled={!name.trim() || !value}>
          Add secret
        </Button>
      </div>
      {problem && (
        <p id={`${id}-problem`} role="alert" className="mt-1.5 text-xs text-danger">
          {problem}
        </p>
      )}
    </div>
  );
}
