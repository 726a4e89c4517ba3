"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { Button } from "@/components/ui/button";
import { ErrorNote, type ClientError } from "@/components/ui/error-note";
import { asClientError, fetchJson } from "@/components/ui/fetch-json";
import { Spinner } from "@/components/ui/spinner";
import { timeAgo } from "@/components/ui/time";
import type { ApiTokenView } from "@/lib/auth/api-tokens";
import { API_SCOPES, SCOPE_DESCRIPTIONS, TOKEN_EXPIRY_DAYS, type ApiScope } from "@/lib/auth/scopes";

const KEY = ["api-tokens"];
const fieldClass = "block w-full rounded-lg border border-border bg-surface px-3 py-2 text-sm placeholder:text-muted";

/** Create, list and revoke personal access tokens. A new token is shown once, here, and never again. */
export function TokensPanel({ appUrl }: { appUrl: string }) {
  const query = useQuery({ queryKey: KEY, queryFn: () => fetchJson<{ tokens: ApiTokenView[] }>("/api/tokens") });
  const [created, setCreated] = useState<{ token: string; name: string } | null>(null);
  return (
    <div className="flex flex-col gap-8">
      {created ? (
        <NewToken token={created.token} name={created.name} appUrl={appUrl} onDone={() => setCreated(null)} />
      ) : (
        <CreateForm onCreated={setCreated} />
      )}
      <section aria-labelledby="tokens-heading" className="flex flex-col gap-3 border-t border-border pt-6">
        <h2 id="tokens-heading" className="text-base font-semibold tracking-tight">
          Your tokens
        </h2>
        {query.isPending ? (
          <p className="flex items-center gap-2 text-sm text-muted">
            <Spinner /> Loading your tokens…
          </p>
        ) : query.isError ? (
          <ErrorNote error={asClientError(query.error)} onRetry={() => void query.refetch()} />
        ) : query.data.tokens.length === 0 ? (
          <p className="text-sm text-muted">No tokens yet.</p>
        ) : (
          <ul className="flex flex-col gap-2" aria-label="Tokens">
            {query.data.tokens.map((t) => (
              <TokenRow key={t.id} token={t} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

function CreateForm({ onCreated }: { onCreated: (c: { token: string; name: string }) => void }) {
  const queryClient = useQueryClient();
  const id = useId();
  const [name, setName] = useState("");
  const [days, setDays] = useState<number>(30);
  const [scopes, setScopes] = useState<ApiScope[]>(["tasks:read", "tasks:write"]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ClientError | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);

  async function create(e: React.FormEvent) {
    e.preventDefault();
    if (!name.trim()) {
      setError({ code: "no_name", message: "Give the token a name, so that you can tell it apart later (e.g. “laptop CLI”)." });
      nameRef.current?.focus();
      return;
    }
    if (scopes.length === 0) return setError({ code: "no_scopes", message: "Choose at least one scope." });
    setBusy(true);
    setError(null);
    try {
      const res = await fetchJson<{ token: string; apiToken: ApiTokenView }>("/api/tokens", {
        method: "POST",
        body: JSON.stringify({ name: name.trim(), scopes, expiresInDays: days }),
      });
      await queryClient.invalidateQueries({ queryKey: KEY });
      setName("");
      onCreated({ token: res.token, name: res.apiToken.name });
    } catch (err) {
      setError(asClientError(err));
    } finally {
      setBusy(false);
    }
  }

  const toggle = (scope: ApiScope, on: boolean) =>
    setScopes((s) => (on ? API_SCOPES.filter((x) => x === scope || s.includes(x)) : s.filter((x) => x !== scope)));

  return (
    <section aria-labelledby={`${id}-title`} className="flex flex-col gap-4">
      <h2 id={`${id}-title`} className="text-base font-semibold tracking-tight">
        New token
      </h2>
      <form onSubmit={(e) => void create(e)} className="flex flex-col gap-4" noValidate>
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-[1fr_12rem]">
          <div>
            <label htmlFor={`${id}-name`} className="text-sm font-medium">
              Token name
            </label>
            <input
              id={`${id}-name`}
              ref={nameRef}
              value={name}
              onChange={(e) => setName(e.target.value)}
              maxLength={100}
              placeholder="laptop CLI"
              autoComplete="off"
              className={`mt-1 ${fieldClass}`}
            />
          </div>
          <div>
            <label htmlFor={`${id}-expiry`} className="text-sm font-medium">
              Expires after
            </label>
            <select
              id={`${id}-expiry`}
              value={days}
              onChange={(e) => setDays(Number(e.target.value))}
              className={`mt-1 h-[38px] ${fieldClass} py-0`}
            >
              {TOKEN_EXPIRY_DAYS.map((d) => (
                <option key={d} value={d}>
                  {d === 365 ? "1 year" : `${d} days`}
                </option>
              ))}
            </select>
          </div>
        </div>
        <fieldset>
          <legend className="text-sm font-medium">Scopes</legend>
          <p className="mt-0.5 text-xs text-muted">What the token may do. It never reaches your environments, secrets or other tokens.</p>
          <div className="mt-2 flex flex-col gap-2">
            {API_SCOPES.map((scope) => {
              const inputId = `${id}-scope-${scope}`;
              return (
                <label
                  key={scope}
                  htmlFor={inputId}
                  className="flex cursor-pointer items-start gap-2.5 rounded-lg border border-border bg-surface px-3 py-2 transition hover:bg-surface-2 has-[:checked]:border-fg/60 has-[:focus-visible]:ring-2 has-[:focus-visible]:ring-ring"
                >
                  <input
                    id={inputId}
                    type="checkbox"
                    checked={scopes.includes(scope)}
                    onChange={(e) => toggle(scope, e.target.checked)}
                    aria-describedby={`${inputId}-hint`}
                    className="mt-0.5 size-3.5 shrink-0 accent-[var(--fg)] focus-visible:outline-none"
                  />
                  <span className="min-w-0">
                    <span className="block font-mono text-sm">{scope}</span>
                    <span id={`${inputId}-hint`} className="mt-0.5 block text-xs text-muted">
                      {SCOPE_DESCRIPTIONS[scope]}
                    </span>
                  </span>
                </label>
              );
            })}
          </div>
        </fieldset>
        {error && <ErrorNote error={error} />}
        <div>
          <Button type="submit" variant="primary" disabled={busy}>
            {busy && <Spinner label="Creating" />} Create token
          </Button>
        </div>
      </form>
    </section>
  );
}

function NewToken({ token, name, appUrl, onDone }: { token: string; name: string; appUrl: string; onDone: () => void }) {
  const id = useId();
  const fieldRef = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  useEffect(() => {
    fieldRef.current?.focus();
    fieldRef.current?.select();
  }, []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(token);
      setCopied("yes");
    } catch {
      fieldRef.current?.select();
      setCopied("no");
    }
  }

  return (
    <section aria-labelledby={`${id}-title`} className="flex flex-col gap-3 rounded-lg border border-border bg-surface p-4" data-testid="new-token">
      <h2 id={`${id}-title`} className="text-base font-semibold tracking-tight">
        Token “{name}” created
      </h2>
      <p id={`${id}-hint`} className="text-sm text-muted">
        Copy it now: it is shown this once and cannot be seen again. Keep it like a password.
      </p>
      <div className="flex flex-wrap gap-2">
        <label htmlFor={`${id}-value`} className="sr-only">
          New token
        </label>
        <input
          id={`${id}-value`}
          ref={fieldRef}
          readOnly
          value={token}
          aria-describedby={`${id}-hint`}
          spellCheck={false}
          className={`min-w-0 flex-1 basis-72 font-mono ${fieldClass}`}
          onFocus={(e) => e.currentTarget.select()}
        />
        <Button onClick={() => void copy()}>Copy</Button>
        <Button variant="primary" onClick={onDone}>
          Done
        </Button>
      </div>
      <p role="status" className="min-h-4 text-xs text-muted">
        {copied === "yes" ? "Copied to the clipboard." : copied === "no" ? "The clipboard is not available here: the token is selected, copy it with your keyboard." : ""}
      </p>
      <p className="text-xs text-muted">
        On the command line: <code className="font-mono [overflow-wrap:anywhere]">npx patchbay login --url {appUrl} --with-token</code>, then
        paste it.
      </p>
    </section>
  );
}

function TokenRow({ token }: { token: ApiTokenView }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ClientError | null>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const revokeRef = useRef<HTMLButtonElement>(null);
  const headingId = useId();

  useEffect(() => {
    if (confirming) confirmRef.current?.focus();
  }, [confirming]);

  async function revoke() {
    setBusy(true);
    setError(null);
    try {
      await fetchJson(`/api/tokens/${token.id}`, { method: "DELETE" });
      await queryClient.invalidateQueries({ queryKey: KEY });
    } catch (err) {
      setError(asClientError(err));
      setBusy(false);
    }
  }

  const cancel = () => {
    setConfirming(false);
    requestAnimationFrame(() => revokeRef.current?.focus());
  };

  return (
    <li
      aria-labelledby={headingId}
      data-testid="token-row"
      className="flex flex-col gap-2 rounded-lg border border-border bg-surface px-3 py-2.5"
      onKeyDown={(e) => {
        if (e.key === "Escape" && confirming) cancel();
      }}
    >
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <h3 id={headingId} className="text-sm font-medium [overflow-wrap:anywhere]">
            {token.name}
          </h3>
          <p className="mt-0.5 flex flex-wrap gap-x-3 gap-y-0.5 text-xs text-muted">
            <span className="font-mono">{token.displayPrefix}…</span>
            <span>{token.scopes.join(", ")}</span>
          </p>
          <p className="mt-0.5 flex flex-wrap gap-x-3 gap-y-0.5 text-xs text-muted">
            <span>Created {timeAgo(token.createdAt)}</span>
            {token.expired ? (
              <span className="font-medium text-danger">Expired {new Date(token.expiresAt).toLocaleDateString()}</span>
            ) : (
              <span>Expires {new Date(token.expiresAt).toLocaleDateString()}</span>
            )}
            <span data-testid="token-last-used">{token.lastUsedAt ? `Last used ${timeAgo(token.lastUsedAt)}` : "Never used"}</span>
          </p>
        </div>
        {!confirming && (
          <Button ref={revokeRef} variant="danger" onClick={() => setConfirming(true)} aria-label={`${token.expired ? "Remove" : "Revoke"} ${token.name}`}>
            {token.expired ? "Remove" : "Revoke"}
          </Button>
        )}
      </div>
      {confirming && (
        <div role="group" aria-label={`Confirm revoking ${token.name}`} className="flex flex-wrap items-center gap-2 border-t border-border pt-2">
          <p className="mr-auto text-xs text-fg">
            {token.expired ? "Remove this expired token from the list?" : "Revoke it? Scripts and command lines using it stop working at once."}
          </p>
          <Button ref={confirmRef} variant="danger" onClick={() => void revoke()} disabled={busy}>
            {busy && <Spinner label="Revoking" />} {token.expired ? "Remove" : "Revoke"} token
          </Button>
          <Button variant="ghost" onClick={cancel} disabled={busy}>
            Cancel
          </Button>
        </div>
      )}
      {error && <ErrorNote error={error} />}
    </li>
  );
}
