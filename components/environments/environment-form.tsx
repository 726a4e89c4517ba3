"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { ErrorNote, type ClientError } from "@/components/ui/error-note";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";
import { Spinner } from "@/components/ui/spinner";
import type { EnvironmentView } from "@/lib/environments/schemas";
import type { EngineName } from "@/lib/engines/names";
import { CachePanel } from "./cache-panel";
import { describeDomainError, formatDomainLines, parseDomainLines } from "./domain-lines";
import { formatEnvLines, parseEnvLines } from "./env-lines";
import { fieldClass } from "./field";
import { EngineSection } from "./engine-section";
import { FormSection } from "./form-section";
import { InternetSection, type InternetDraft } from "./internet-section";
import { describeSaveError } from "./save-error";
import { SecretsEditor } from "./secrets-editor";
import { useLeaveWarning } from "./leave-warning";
import { SetupTest } from "./setup-test";

export function EnvironmentForm({ repoFullName }: { repoFullName: string }) {
  const url = `/api/environments/${repoFullName}`;
  const query = useQuery({ queryKey: ["environment", repoFullName], queryFn: () => fetchJson<{ environment: EnvironmentView }>(url) });
  if (query.isPending) {
    return (
      <p className="flex items-center gap-2 text-sm text-muted">
        <Spinner /> Loading the environment…
      </p>
    );
  }
  if (query.isError) return <ErrorNote error={asClientError(query.error)} onRetry={() => void query.refetch()} />;
  return <Form key={repoFullName} url={url} initial={query.data.environment} />;
}

/** Everything the form edits as text, as typed (secrets aside: they are write-only). */
type Draft = InternetDraft & { setupScript: string; maintenanceScript: string; varsText: string; timeout: number; engine: EngineName };

function draftOf(v: EnvironmentView): Draft {
  return {
    setupScript: v.setupScript,
    maintenanceScript: v.maintenanceScript,
    varsText: formatEnvLines(v.envVars),
    timeout: v.setupTimeoutSeconds,
    internetPolicy: v.internetPolicy,
    setupInternetPolicy: v.setupInternetPolicy,
    allowlistPreset: v.allowlistPreset,
    domainsText: formatDomainLines(v.allowedDomains),
    allowedMethods: v.allowedMethods,
    engine: v.engine ?? v.defaultEngine,
  };
}

function Form({ url, initial }: { url: string; initial: EnvironmentView }) {
  const queryClient = useQueryClient();
  const ids = useId();
  const [baseline, setBaseline] = useState(() => draftOf(initial));
  const [draft, setDraft] = useState(baseline);
  const [cache, setCache] = useState(initial.cache);
  const [savedNames, setSavedNames] = useState(initial.secretNames);
  const [newSecrets, setNewSecrets] = useState<Record<string, string>>({});
  const [removed, setRemoved] = useState<string[]>([]);
  const [domainsTouched, setDomainsTouched] = useState(false);
  const [error, setError] = useState<ClientError | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const domainsRef = useRef<HTMLTextAreaElement>(null);

  const update = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const secretNames = [...new Set([...savedNames.filter((n) => !removed.includes(n)), ...Object.keys(newSecrets)])].sort();
  const domains = parseDomainLines(draft.domainsText);
  const dirty = JSON.stringify(draft) !== JSON.stringify(baseline) || removed.length > 0 || Object.keys(newSecrets).length > 0;
  useLeaveWarning(dirty, "This environment has unsaved changes. Leave without saving them?");

  /** True when the server kept the draft; otherwise the bar below says why. */
  async function save(): Promise<boolean> {
    setSaved(false);
    const { vars, errors } = parseEnvLines(draft.varsText);
    if (errors.length) {
      setError({ code: "bad_vars", message: `Environment variables: ${errors.join("; ")}` });
      return false;
    }
    if (domains.errors.length) {
      setDomainsTouched(true);
      setError({ code: "bad_domains", message: `Allowed domains — ${domains.errors.map(describeDomainError).join("; ")}. Nothing was saved.` });
      // After the render that shows the allowlist (even when no phase uses it), clear of the sticky bars.
      requestAnimationFrame(() => {
        domainsRef.current?.focus({ preventScroll: true });
        domainsRef.current?.scrollIntoView({ block: "center" });
      });
      return false;
    }
    if (!Number.isInteger(draft.timeout) || draft.timeout < 10 || draft.timeout > 3600) {
      setError({ code: "bad_timeout", message: "The setup time limit is a whole number of seconds from 10 to 3600." });
      return false;
    }
    setSaving(true);
    setError(null);
    try {
      const body = {
        setupScript: draft.setupScript,
        maintenanceScript: draft.maintenanceScript,
        envVars: vars,
        secrets: newSecrets,
        removeSecrets: removed,
        internetPolicy: draft.internetPolicy,
        allowlistPreset: draft.allowlistPreset,
        allowedDomains: domains.domains,
        allowedMethods: draft.allowedMethods,
        setupInternetPolicy: draft.setupInternetPolicy,
        setupTimeoutSeconds: draft.timeout,
        engine: draft.engine,
      };
      const res = await fetchJson<{ environment: EnvironmentView }>(url, { method: "PUT", body: JSON.stringify(body) });
      queryClient.setQueryData(["environment", initial.repoFullName], res);
      // What the server kept, normalized (lower-case domains, once each); values sent once are not kept in the page.
      const next = draftOf(res.environment);
      setBaseline(next);
      setDraft(next);
      setCache(res.environment.cache);
      setSavedNames(res.environment.secretNames);
      setNewSecrets({});
      setRemoved([]);
      setDomainsTouched(false);
      setSaved(true);
      return true;
    } catch (err) {
      setError(describeSaveError(asClientError(err)));
      return false;
    } finally {
      setSaving(false);
    }
  }

  return (
    <form
      // A field reached with Tab stays clear of the sticky header and save bar.
      className="flex flex-col gap-8 [&_:is(input,textarea,button)]:scroll-mt-16 [&_:is(input,textarea,button)]:scroll-mb-28"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <FormSection title="Setup" description="How the sandbox is prepared before the agent starts.">
        <div>
          <label htmlFor={`${ids}-setup`} className="text-sm font-medium">
            Setup script
          </label>
          <p id={`${ids}-setup-help`} className="mt-0.5 text-xs text-muted">
            Runs with bash from the repository root before the agent starts, with the variables and secrets below and
            the setup script&apos;s internet access. What it installs into the checkout stays; its shell (and its
            exports) does not.
          </p>
          <textarea
            id={`${ids}-setup`}
            aria-describedby={`${ids}-setup-help`}
            value={draft.setupScript}
            onChange={(e) => update({ setupScript: e.target.value })}
            rows={6}
            spellCheck={false}
            placeholder={"npm ci\npip install -r requirements.txt"}
            className={`${fieldClass} mt-2 font-mono`}
          />
          <label htmlFor={`${ids}-timeout`} className="mt-2 flex items-center gap-2 text-xs text-muted">
            Stop it after
            <input
              id={`${ids}-timeout`}
              type="number"
              min={10}
              max={3600}
              value={Number.isNaN(draft.timeout) ? "" : draft.timeout}
              onChange={(e) => update({ timeout: e.target.value === "" ? NaN : Number(e.target.value) })}
              className="h-7 w-20 rounded-md border border-border bg-surface px-2 text-sm text-fg"
            />
            seconds
          </label>
          <SetupTest url={url} savedScript={baseline.setupScript} draftScript={draft.setupScript} dirty={dirty} onSave={save} />
        </div>
        <div>
          <label htmlFor={`${ids}-maint`} className="text-sm font-medium">
            Maintenance script
          </label>
          <p id={`${ids}-maint-help`} className="mt-0.5 text-xs text-muted">
            The checkout after setup is cached and reused by later tasks. When a task starts on a newer commit than the
            cached one, this script runs instead of the setup script, over the cached checkout — for example{" "}
            <code className="font-mono">npm install</code> to catch up with changed dependencies. Leave it empty to
            run nothing then.
          </p>
          <textarea
            id={`${ids}-maint`}
            aria-describedby={`${ids}-maint-help`}
            value={draft.maintenanceScript}
            onChange={(e) => update({ maintenanceScript: e.target.value })}
            rows={3}
            spellCheck={false}
            placeholder="npm install"
            className={`${fieldClass} mt-2 font-mono`}
          />
        </div>
      </FormSection>

      <FormSection title="Variables and secrets">
        <div>
          <label htmlFor={`${ids}-vars`} className="text-sm font-medium">
            Environment variables
          </label>
          <p id={`${ids}-vars-help`} className="mt-0.5 text-xs text-muted">
            One NAME=value per line. Visible to the setup script and to the agent.
          </p>
          <textarea
            id={`${ids}-vars`}
            aria-describedby={`${ids}-vars-help`}
            value={draft.varsText}
            onChange={(e) => update({ varsText: e.target.value })}
            rows={4}
            spellCheck={false}
            placeholder="NODE_ENV=test"
            className={`${fieldClass} mt-2 font-mono`}
          />
        </div>
        <SecretsEditor
          names={secretNames}
          pending={Object.keys(newSecrets)}
          onAdd={(name, value) => {
            setNewSecrets((s) => ({ ...s, [name]: value }));
            setRemoved((r) => r.filter((n) => n !== name));
          }}
          onRemove={(name) => {
            setRemoved((r) => [...r, name]);
            setNewSecrets((s) => Object.fromEntries(Object.entries(s).filter(([k]) => k !== name)));
          }}
        />
      </FormSection>

      <InternetSection
        draft={draft}
        onChange={update}
        commonRegistries={initial.commonRegistries}
        domainErrors={domainsTouched ? domains.errors : []}
        forceAllowlist={domains.errors.length > 0 && domainsTouched}
        onDomainsBlur={() => setDomainsTouched(true)}
        domainsRef={domainsRef}
      />

      <EngineSection value={draft.engine} defaultEngine={initial.defaultEngine} onChange={(engine) => update({ engine })} />

      <FormSection
        title="Cache"
        description="With a setup script, the checkout right after setup is kept on the runner and reused: later tasks skip setup while the scripts, variables, secrets and setup's internet access stay as they are (saving a change to them starts afresh)."
      >
        <CachePanel url={url} cache={cache} onReset={(view) => setCache(view.cache)} />
      </FormSection>

      <div className="sticky bottom-0 z-10 -mx-4 flex flex-col gap-2 border-t border-border bg-bg/95 px-4 py-3 backdrop-blur">
        {error && <ErrorNote error={error} />}
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" variant="primary" disabled={saving}>
            {saving && <Spinner label="Saving" />} Save environment
          </Button>
          {saved && !dirty ? (
            <span role="status" className="text-sm text-success">
              Saved. New tasks on this repository use it.
            </span>
          ) : (
            dirty && <span className="text-sm text-muted">Unsaved changes</span>
          )}
        </div>
      </div>
    </form>
  );
}
