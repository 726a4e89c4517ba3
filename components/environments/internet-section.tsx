import type { Ref } from "react";
import type { EnvironmentView } from "@/lib/environments/schemas";
import { AllowlistEditor, type AllowlistDraft } from "./allowlist-editor";
import { ChoiceGroup, type Choice } from "./choice-group";
import type { DomainLineError } from "./domain-lines";
import { FormSection } from "./form-section";

type Policy = EnvironmentView["internetPolicy"];

export type InternetDraft = AllowlistDraft & {
  internetPolicy: Policy;
  setupInternetPolicy: Policy;
  allowedMethods: EnvironmentView["allowedMethods"];
};

const choices = (on: string): Choice<Policy>[] => [
  { value: "off", label: "Off", hint: "No network at all." },
  { value: "allowlist", label: "Allowlist", hint: "Only the hosts of the allowlist below." },
  { value: "on", label: "On", hint: on },
];

/** Who may reach what: the agent's policy and methods, setup's policy, and the allowlist they share. */
export function InternetSection({
  draft,
  onChange,
  commonRegistries,
  domainErrors,
  forceAllowlist,
  onDomainsBlur,
  domainsRef,
}: {
  draft: InternetDraft;
  onChange: (patch: Partial<InternetDraft>) => void;
  commonRegistries: string[];
  domainErrors: DomainLineError[];
  /** Show the allowlist even when no phase uses it (its domains have errors to fix). */
  forceAllowlist: boolean;
  onDomainsBlur: () => void;
  domainsRef: Ref<HTMLTextAreaElement>;
}) {
  const users = [draft.internetPolicy === "allowlist" && "the agent", draft.setupInternetPolicy === "allowlist" && "the setup script"].filter(
    (u): u is string => typeof u === "string",
  );
  const usedBy = users.length ? users.join(" and ") : null;
  return (
    <FormSection
      title="Internet access"
      description={
        <>
          A sandbox never has the host&apos;s network: what it may reach goes through Patchbay&apos;s egress proxy,
          and every refusal shows in the task&apos;s log. Private, loopback and link-local addresses (the cloud
          metadata address among them) and Patchbay&apos;s own hosts are refused whatever you choose.
        </>
      }
    >
      <div>
        <ChoiceGroup
          legend="Agent internet access"
          description="While the agent works on the task."
          value={draft.internetPolicy}
          onChange={(internetPolicy) => onChange({ internetPolicy })}
          choices={choices("Any public host.")}
        />
        {draft.internetPolicy === "off" && <p className="mt-2 text-xs text-muted">Recommended: the agent works offline.</p>}
        {draft.internetPolicy === "on" && (
          <p role="note" className="mt-2 rounded-lg border border-border bg-surface-2 px-3 py-2 text-xs text-warning">
            The agent can reach any public host. What it reads there can steer it (prompt injection), and it could send
            your code or variables out. Prefer an allowlist.
          </p>
        )}
        {draft.internetPolicy !== "off" && (
          <div className="mt-4 border-l-2 border-border pl-4">
            <ChoiceGroup
              legend="Agent HTTP methods"
              description="Setup may use any method: installing packages needs more than GET."
              value={draft.allowedMethods}
              onChange={(allowedMethods) => onChange({ allowedMethods })}
              choices={[
                { value: "all", label: "All methods", hint: "Any request to a host the agent may reach." },
                { value: "read", label: "Read-only", hint: "GET, HEAD and OPTIONS only." },
              ]}
            />
            <p className="mt-2 flex gap-2 text-xs text-muted">
              <InfoIcon />
              <span>
                The method can be checked on plain <code className="font-mono">http://</code> only. Inside HTTPS the
                proxy sees just the host name of a CONNECT, never the method or the path, so an HTTPS request passes
                whatever its method.
              </span>
            </p>
          </div>
        )}
      </div>

      <ChoiceGroup
        legend="Setup script internet access"
        description="While the setup and maintenance scripts run, for installing dependencies. The default is On."
        value={draft.setupInternetPolicy}
        onChange={(setupInternetPolicy) => onChange({ setupInternetPolicy })}
        choices={choices("Any public host (default).")}
      />

      {usedBy || forceAllowlist ? (
        <AllowlistEditor
          draft={draft}
          onChange={onChange}
          commonRegistries={commonRegistries}
          errors={domainErrors}
          usedBy={usedBy}
          onDomainsBlur={onDomainsBlur}
          domainsRef={domainsRef}
        />
      ) : (
        <p className="text-xs text-muted">Choose Allowlist for the agent or for setup to pick which hosts they may reach.</p>
      )}
    </FormSection>
  );
}

function InfoIcon() {
  return (
    <svg width="14" height="14" viewBox="0 0 16 16" aria-hidden className="mt-px shrink-0" fill="none" stroke="currentColor" strokeWidth="1.5">
      <circle cx="8" cy="8" r="6.25" />
      <path d="M8 7.25v4M8 4.75v.01" strokeLinecap="round" />
    </svg>
  );
}
