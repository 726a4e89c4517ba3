import { useId, useState, type Ref } from "react";
import { ChoiceGroup } from "./choice-group";
import { describeDomainError, type DomainLineError } from "./domain-lines";
import { fieldClass } from "./field";

export type AllowlistDraft = {
  allowlistPreset: "none" | "common";
  domainsText: string;
};

/** The allowlist shared by the agent and setup: a preset and extra host names, one per line. */
export function AllowlistEditor({
  draft,
  onChange,
  commonRegistries,
  errors,
  usedBy,
  onDomainsBlur,
  domainsRef,
}: {
  draft: AllowlistDraft;
  onChange: (patch: Partial<AllowlistDraft>) => void;
  commonRegistries: string[];
  /** Bad lines of the domains field, once they should be shown. */
  errors: DomainLineError[];
  /** Who uses the allowlist now ("the agent", "the setup script", both), or null when nobody does. */
  usedBy: string | null;
  onDomainsBlur: () => void;
  domainsRef: Ref<HTMLTextAreaElement>;
}) {
  const id = useId();
  const [showHosts, setShowHosts] = useState(true);
  const invalid = errors.length > 0;
  return (
    <div className="flex flex-col gap-5 rounded-xl border border-border bg-surface p-4" role="group" aria-labelledby={`${id}-title`}>
      <div>
        <h3 id={`${id}-title`} className="text-sm font-semibold">
          Allowlist
        </h3>
        <p className="mt-0.5 text-xs text-muted">
          {usedBy ? `Used by ${usedBy}. ` : "Not in use: neither the agent nor the setup script is set to Allowlist. "}
          Everything not listed here is refused by name, before any DNS lookup.
        </p>
      </div>

      <div>
        <ChoiceGroup
          legend="Preset"
          value={draft.allowlistPreset}
          onChange={(allowlistPreset) => onChange({ allowlistPreset })}
          choices={[
            { value: "none", label: "None", hint: "Only the domains below." },
            {
              value: "common",
              label: "Common package registries",
              hint: `npm, PyPI, crates.io, Go, Maven, RubyGems, Debian/Ubuntu/Alpine and GitHub downloads: ${commonRegistries.length} hosts.`,
            },
          ]}
        />
        <button
          type="button"
          aria-expanded={showHosts}
          aria-controls={`${id}-hosts`}
          onClick={() => setShowHosts((s) => !s)}
          className="mt-2 inline-flex items-center gap-1 rounded-md text-xs font-medium text-muted hover:text-fg"
        >
          <svg width="10" height="10" viewBox="0 0 16 16" aria-hidden className={`transition-transform ${showHosts ? "rotate-90" : ""}`}>
            <path d="M6 3.5 10.5 8 6 12.5" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
          </svg>
          {showHosts ? "Hide" : "Show"} the {commonRegistries.length} hosts of Common package registries
        </button>
        {showHosts && (
          <ul
            id={`${id}-hosts`}
            aria-label="Hosts of Common package registries"
            className="mt-2 columns-[17rem] gap-6 rounded-lg bg-surface-2 px-3 py-2 font-mono text-xs leading-5 text-muted"
          >
            {commonRegistries.map((h) => (
              <li key={h} className="break-inside-avoid [overflow-wrap:anywhere]">
                {h}
              </li>
            ))}
          </ul>
        )}
      </div>

      <div>
        <label htmlFor={`${id}-domains`} className="text-sm font-medium">
          Allowed domains
        </label>
        <p id={`${id}-domains-help`} className="mt-0.5 text-xs text-muted">
          One host name per line, in addition to the preset. <code className="font-mono">example.com</code> is that host
          only; <code className="font-mono">*.example.com</code> is every subdomain of it (not example.com itself).
        </p>
        <textarea
          ref={domainsRef}
          id={`${id}-domains`}
          value={draft.domainsText}
          onChange={(e) => onChange({ domainsText: e.target.value })}
          onBlur={onDomainsBlur}
          rows={4}
          spellCheck={false}
          autoCapitalize="off"
          autoCorrect="off"
          placeholder={"api.example.com\n*.internal-mirror.example.org"}
          aria-invalid={invalid || undefined}
          aria-describedby={`${id}-domains-help${invalid ? ` ${id}-domains-errors` : ""}`}
          className={`${fieldClass} mt-2 font-mono ${invalid ? "border-danger" : ""}`}
        />
        {invalid && (
          <ul id={`${id}-domains-errors`} className="mt-1.5 flex flex-col gap-0.5 text-xs text-danger">
            {errors.map((e) => (
              <li key={`${e.line}-${e.text}`} className="[overflow-wrap:anywhere]">
                {describeDomainError(e)}
              </li>
            ))}
          </ul>
        )}
      </div>

    </div>
  );
}

