"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState } from "react";
import { Button } from "@/components/ui/button";
import { ErrorNote, type ClientError } from "@/components/ui/error-note";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";
import { Spinner } from "@/components/ui/spinner";
import type { EnvironmentView } from "@/lib/environments/schemas";
import { formatEnvLines, parseEnvLines } from "./env-lines";


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

function Form({ url, initial }: { url: string; initial: EnvironmentView }) {
  const queryClient = useQueryClient();
  const ids = useId();
  const [setupScript, setSetupScript] = useState(initial.setupScript);
  const [varsText, setVarsText] = useState(formatEnvLines(initial.envVars));
  const [internet, setInternet] = useState(initial.internetPolicy);
  const [timeout, setTimeoutSeconds] = useState(initial.setupTimeoutSeconds);
  const [savedNames, setSavedNames] = useState(initial.secretNames);
  const [newSecrets, setNewSecrets] = useState<Record<string, string>>({});
  const [removed, setRemoved] = useState<string[]>([]);
  const [secretName, setSecretName] = useState("");
  const [secretValue, setSecretValue] = useState("");
  const [error, setError] = useState<ClientError | null>(null);
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);

  const secretNames = [...new Set([...savedNames.filter((n) => !removed.includes(n)), ...Object.keys(newSecrets)])].sort();

  async function save() {
    const { vars, errors } = parseEnvLines(varsText);
    if (errors.length) return setError({ code: "bad_vars", message: `Environment variables: ${errors.join("; ")}` });
    setSaving(true);
    setError(null);
    setSaved(false);
    try {
      const body = { setupScript, envVars: vars, secrets: newSecrets, removeSecrets: removed, internetPolicy: internet, setupTimeoutSeconds: timeout };
      const res = await fetchJson<{ environment: EnvironmentView }>(url, { method: "PUT", body: JSON.stringify(body) });
      queryClient.setQueryData(["environment", initial.repoFullName], res);
      // Values sent once are not kept in the page.
      setSavedNames(res.environment.secretNames);
      setNewSecrets({});
      setRemoved([]);
      setSaved(true);
    } catch (err) {
      setError(asClientError(err));
    } finally {
      setSaving(false);
    }
  }

  function addSecret() {
    const name = secretName.trim();
    if (!name || !secretValue) return;
    setNewSecrets((s) => ({ ...s, [name]: secretValue }));
    setRemoved((r) => r.filter((n) => n !== name));
    setSecretName("");
    setSecretValue("");
  }

  const field = "block w-full rounded-lg border border-border bg-surface px-3 py-2 text-sm placeholder:text-muted";
  return (
    <form
      className="flex flex-col gap-6"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <section>
        <label htmlFor={`${ids}-setup`} className="text-sm font-medium">
          Setup script
        </label>
        <p className="mt-0.5 text-xs text-muted">
          Runs with bash from the repository root before the agent starts, with the network on and the variables and
          secrets below. What it installs into the checkout stays; its shell (and its exports) does not.
        </p>
        <textarea
          id={`${ids}-setup`}
          value={setupScript}
          onChange={(e) => setSetupScript(e.target.value)}
          rows={6}
          spellCheck={false}
          placeholder={"npm ci\npip install -r requirements.txt"}
          className={`${field} mt-2 font-mono`}
        />
        <label htmlFor={`${ids}-timeout`} className="mt-2 flex items-center gap-2 text-xs text-muted">
          Stop it after
          <input
            id={`${ids}-timeout`}
            type="number"
            min={10}
            max={3600}
            value={timeout}
            onChange={(e) => setTimeoutSeconds(Number(e.target.value))}
            className="h-7 w-20 rounded-md border border-border bg-surface px-2 text-sm text-fg"
          />
          seconds
        </label>
      </section>

      <section>
        <label htmlFor={`${ids}-vars`} className="text-sm font-medium">
          Environment variables
        </label>
        <p className="mt-0.5 text-xs text-muted">One NAME=value per line. Visible to the setup script and to the agent.</p>
        <textarea
          id={`${ids}-vars`}
          value={varsText}
          onChange={(e) => setVarsText(e.target.value)}
          rows={4}
          spellCheck={false}
          placeholder="NODE_ENV=test"
          className={`${field} mt-2 font-mono`}
        />
      </section>

      <section aria-labelledby={`${ids}-secrets`}>
        <h2 id={`${ids}-secrets`} className="text-sm font-medium">
          Secrets
        </h2>
        <p className="mt-0.5 text-xs text-muted">
          Encrypted at rest, given to the setup script only, masked in its log, and never shown again.
        </p>
        <ul className="mt-2 flex flex-col gap-1" aria-label="Saved secrets">
          {secretNames.length === 0 && <li className="text-xs text-muted">No secrets.</li>}
          {secretNames.map((name) => (
            <li key={name} className="flex items-center justify-between rounded-lg border border-border px-3 py-1.5 text-sm">
              <span className="font-mono">{name}</span>
              <button
                type="button"
                className="text-xs text-danger hover:underline"
                aria-label={`Remove secret ${name}`}
                onClick={() => {
                  setRemoved((r) => [...r, name]);
                  setNewSecrets((s) => Object.fromEntries(Object.entries(s).filter(([k]) => k !== name)));
                }}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
        <div className="mt-2 flex flex-wrap gap-2">
          <label htmlFor={`${ids}-sname`} className="sr-only">
            Secret name
          </label>
          <input
            id={`${ids}-sname`}
            value={secretName}
            onChange={(e) => setSecretName(e.target.value)}
            placeholder="NAME"
            className="h-8 w-40 rounded-lg border border-border bg-surface px-2 font-mono text-sm"
          />
          <label htmlFor={`${ids}-svalue`} className="sr-only">
            Secret value
          </label>
          <input
            id={`${ids}-svalue`}
            type="password"
            autoComplete="off"
            value={secretValue}
            onChange={(e) => setSecretValue(e.target.value)}
            placeholder="value"
            className="h-8 min-w-0 flex-1 rounded-lg border border-border bg-surface px-2 text-sm"
          />
          <Button onClick={addSecret} disabled={!secretName.trim() || !secretValue}>
            Add secret
          </Button>
        </div>
      </section>

      <fieldset>
        <legend className="text-sm font-medium">Agent internet access</legend>
        <p className="mt-0.5 text-xs text-muted">The setup script always has the network; the agent only if you turn it on.</p>
        <div className="mt-2 flex gap-4 text-sm">
          {(["off", "on"] as const).map((p) => (
            <label key={p} className="flex items-center gap-1.5">
              <input type="radio" name={`${ids}-internet`} value={p} checked={internet === p} onChange={() => setInternet(p)} />
              {p === "off" ? "Off (recommended)" : "On"}
            </label>
          ))}
        </div>
      </fieldset>

      {error && <ErrorNote error={error} />}
      <div className="flex items-center gap-3">
        <Button type="submit" variant="primary" disabled={saving}>
          {saving && <Spinner label="Saving" />} Save environment
        </Button>
        {saved && (
          <span role="status" className="text-sm text-success">
            Saved. New tasks on this repository use it.
          </span>
        )}
      </div>
    </form>
  );
}
