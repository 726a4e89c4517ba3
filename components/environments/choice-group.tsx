import { useId, type ReactNode } from "react";

export type Choice<T extends string> = { value: T; label: string; hint?: ReactNode };

/**
 * A radio group as a row of cards: a fieldset with its legend, native radios (arrow keys move between them), each
 * card named by its label and described by its hint, the whole card clickable.
 */
export function ChoiceGroup<T extends string>({
  legend,
  description,
  value,
  onChange,
  choices,
  columns = choices.length,
}: {
  legend: string;
  description?: ReactNode;
  value: T;
  onChange: (value: T) => void;
  choices: Choice<T>[];
  columns?: number;
}) {
  const id = useId();
  const grid = columns === 3 ? "sm:grid-cols-3" : columns === 2 ? "sm:grid-cols-2" : "";
  return (
    <fieldset aria-describedby={description ? `${id}-desc` : undefined}>
      <legend className="text-sm font-medium">{legend}</legend>
      {description && (
        <p id={`${id}-desc`} className="mt-0.5 text-xs text-muted">
          {description}
        </p>
      )}
      <div className={`mt-2 grid grid-cols-1 gap-2 ${grid}`}>
        {choices.map((c) => {
          const inputId = `${id}-${c.value}`;
          return (
            <label
              key={c.value}
              htmlFor={inputId}
              className="flex cursor-pointer items-start gap-2.5 rounded-lg border border-border bg-surface px-3 py-2 transition hover:bg-surface-2 has-[:checked]:border-fg/60 has-[:checked]:bg-surface-2 has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-ring"
            >
              <input
                id={inputId}
                type="radio"
                name={id}
                value={c.value}
                checked={value === c.value}
                onChange={() => onChange(c.value)}
                aria-labelledby={`${inputId}-label`}
                aria-describedby={c.hint ? `${inputId}-hint` : undefined}
                className="mt-0.5 size-3.5 shrink-0 accent-[var(--fg)] focus-visible:outline-none"
              />
              <span className="min-w-0">
                <span id={`${inputId}-label`} className="block text-sm font-medium">
                  {c.label}
                </span>
                {c.hint && (
                  <span id={`${inputId}-hint`} className="mt-0.5 block text-xs text-muted">
                    {c.hint}
                  </span>
                )}
              </span>
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}
