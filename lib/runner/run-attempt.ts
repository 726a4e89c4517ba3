import "server-only";
import { logError } from "@/lib/log";
import fs from "node:fs/promises";
import path from "node:path";
import type { DbHandle } from "@/db";
import { listAttemptEvents } from "@/db/queries/events";
import type { JobRow } from "@/db/queries/jobs";
import { findEnvironment } from "@/db/queries/environments";
import { takeSteerMessages } from "@/db/queries/steer";
import { turnImageUrls } from "@/lib/images/images";
import { findAttempt, findTask, listTurns, refreshTaskStatus, updateAttempt } from "@/db/queries/tasks";
import type { AttemptStatus } from "@/db/schema";
import { ENGINE_LABELS, engineFor, type Engine } from "@/lib/engines";
import { costOf, priceOf } from "@/lib/agent/pricing";
import type { PatchFs, SessionExecutor, ShellExecutor } from "@/lib/agent/types";
import { createWorkspaceFs } from "@/lib/agent/workspace-fs";
import { AppError } from "@/lib/errors";
import { AttemptEventWriter } from "@/lib/events/writer";
import { publicMessage } from "@/lib/public-message";
import { storableText } from "@/lib/text";
import { checkSandboxAvailable, createBwrapSandbox, ensureSandboxUser, type Sandbox, type SandboxOptions } from "@/lib/sandbox";
import { isRoot, type HostUser } from "@/lib/sandbox/host-user";
import { recordAgentActivity, recordAgentEvent } from "./agent-events";
import { acquireAttemptResources, limitMessage, ResourceError, type AttemptResources } from "./attempt-resources";
import type { RunnerConfig } from "./config";
import { computeDiff } from "./diff";
import { EngineUnreachable, reachableEngineDir } from "./engine-dir";
import { git, redact } from "./git";
import { agentPolicy, closePhaseNetwork, openPhaseNetwork, type PhaseNetwork } from "./egress";
import { closeModelGateway, engineNotes, engineSandboxOptions, openModelGateway, type PhaseModel } from "./model-gateway";
import { PhaseFailure } from "./setup-phase";
import { prepareWorkspace, returnObjects, type PreparedWorkspace } from "./prepare-workspace";
import { replayOntoBase, SnapshotError, takeSnapshot } from "./snapshot";
import {
  attemptWorkspace,
  ensureHostRepo,
  resolveCommit,
  SANDBOX_MIRROR,
  SNAPSHOT_REF,
  syncMirror,
  type AttemptWorkspace,
} from "./workspace";

// A working sandbox stays working: remember a positive check for a minute (it costs ~25 ms a task otherwise).
const sandboxChecks = new Map<string, number>();
async function sandboxAvailable(bwrapPath: string) {
  const at = sandboxChecks.get(bwrapPath);
  if (at && Date.now() - at < 60_000) return { ok: true as const };
  const result = await checkSandboxAvailable({ bwrapPath });
  if (result.ok) sandboxChecks.set(bwrapPath, Date.now());
  return result;
}

/**
 * Steps after `preparing` and before the end: the task is "running" through all of them whatever its other attempts
 * do, so moving between them changes nothing of the task (its row, its board card) and it is not recomputed.
 */
const WITHIN_RUNNING = new Set<AttemptStatus>(["setup", "running", "finalizing"]);

/** Why a running job was stopped from outside. */
export type StopReason = "cancel" | "timeout" | "lease_lost" | "shutdown";

/** The engine's binaries where the sandbox user can bind them, or the attempt fails saying how to make them so. */
async function enginePackageDir(engine: Engine, dataDir: string, user: HostUser | null): Promise<string> {
  try {
    return await reachableEngineDir({ dir: engine.packageDir!, label: ENGINE_LABELS[engine.name], dataDir, user });
  } catch (error) {
    if (error instanceof EngineUnreachable) throw new AttemptFailure(error.code, error.message);
    throw error;
  }
}

class AttemptFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function statusForStop(reason: StopReason | null): AttemptStatus {
  if (reason === "timeout") return "timed_out";
  if (reason === "shutdown" || reason === "lease_lost") return "failed";
  return "cancelled";
}

function stopError(reason: "shutdown" | "lease_lost") {
  return reason === "shutdown"
    ? { code: "runner_stopped", message: "The runner was shut down while working on this attempt." }
    : { code: "runner_lost", message: "This runner lost its hold on the attempt (its lease expired)." };
}

async function exists(p: string) {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}

/** apply_patch writes host-side; what it writes must stay the sandbox user's like the rest of the checkout. */
function ownedPatchFs(inner: PatchFs, root: string, user: { uid: number; gid: number } | null): PatchFs {
  if (!user) return inner;
  return {
    read: (p) => inner.read(p),
    remove: (p) => inner.remove(p),
    async write(p, content) {
      await inner.write(p, content);
      const full = path.join(root, p);
      await fs.lchown(full, user.uid, user.gid).catch(() => undefined);
      // Directories apply_patch created on the way are ours too.
      for (let dir = path.dirname(full); dir.startsWith(root + path.sep); dir = path.dirname(dir)) {
        await fs.lchown(dir, user.uid, user.gid).catch(() => undefined);
      }
    },
  };
}

/** The final message of every earlier turn of this attempt, for a follow-up to continue from. */
async function priorTurns(handle: DbHandle, taskId: string, attemptId: string, turn: number) {
  const [turns, events, images] = await Promise.all([listTurns(handle.db, taskId), listAttemptEvents(handle.db, attemptId), turnImageUrls(handle.db, taskId)]);
  const finals = new Map<number, string>();
  let commands = 0;
  for (const e of events) {
    if (e.type === "message" && typeof e.payload.text === "string") finals.set(e.turn, e.payload.text);
    if (e.type === "command" && e.payload.phase === "start" && /^c\d+$/.test(String(e.payload.chunkId))) commands++;
  }
  // This attempt's own history: the first prompt and the follow-ups sent to it (not those of the other attempts).
  const prior = turns
    .filter((t) => t.seq < turn && (t.attemptId === null || t.attemptId === attemptId))
    .map((t) => ({ prompt: t.prompt, finalMessage: finals.get(t.seq) ?? "", images: images.get(t.seq) ?? [] }));
  const current = turns.find((t) => t.seq === turn);
  return { prior, prompt: current?.prompt, images: images.get(turn) ?? [], firstChunk: commands + 1 };
}

/** Free space on the attempt's volume below which a command is told the disk is full. */
const DISK_FULL_BYTES = 4 * 1024 * 1024;

/**
 * The end of a Code turn: the checkout's snapshot (taken in a sandbox, verified into the host repository), the
 * diff computed from it, and a note in the log when nested repositories were left out.
 */
async function finalizeCode(opts: {
  db: DbHandle["db"];
  attemptId: string;
  ws: AttemptWorkspace;
  baseCommit: string;
  /** The checkout right after setup (a prepared environment): the diff is what the agent changed over it. */
  prepared: PreparedWorkspace;
  sandboxBase: Omit<SandboxOptions, "mode" | "network" | "env">;
  events: AttemptEventWriter;
  signal: AbortSignal;
}) {
  {
    const { binds, exclude } = opts.prepared.snapshot;
    const snap = await takeSnapshot({
      sandboxBase: { ...opts.sandboxBase, extraReadOnlyBinds: [...(opts.sandboxBase.extraReadOnlyBinds ?? []), ...binds] },
      hostRepo: opts.ws.hostRepo,
      baseCommit: opts.baseCommit,
      preparedCommit: exclude ?? undefined,
      signal: opts.signal,
    });
    if (opts.prepared.preparedCommit) {
      snap.commit = await replayOntoBase({
        repo: opts.ws.hostRepo,
        base: opts.baseCommit,
        prepared: opts.prepared.preparedCommit,
        snapshot: snap.commit,
        scratchIndex: path.join(opts.ws.root, "replay.index"),
      });
      await fs.rm(path.join(opts.ws.root, "replay.index"), { force: true });
      await git(["update-ref", SNAPSHOT_REF, snap.commit], { gitDir: opts.ws.hostRepo });
    }
    // The result stands on its own: nothing of it stays borrowed from a cache entry that may go.
    await returnObjects(opts.ws.hostRepo, { base: opts.baseCommit, keep: [snap.commit] });
    if (snap.leftOut.length) {
      const list = snap.leftOut.slice(0, 10).map((p) => `${p}/`).join(", ") + (snap.leftOut.length > 10 ? ` and ${snap.leftOut.length - 10} more` : "");
      await opts.events.append("log", {
        chunkId: "finalize",
        stream: "system",
        text: `Left out nested git repositories: ${list}. Their files are not in the diff or the pull request (a repository inside the checkout would be recorded as a submodule link).\n`,
      });
    }
    const diff = await computeDiff({ hostRepo: opts.ws.hostRepo, baseCommit: opts.baseCommit, snapshot: snap.commit });
    await updateAttempt(opts.db, opts.attemptId, { diff: diff.diff, diffStats: diff.stats, snapshotCommit: snap.commit });
    await opts.events.append("diff", { stats: diff.stats, truncated: diff.truncated, leftOut: snap.leftOut });
  }
}

/**
 * Works one job: one turn of one attempt, from checkout to diff. Every step is appended to task_events as it
 * happens. Never throws: whatever goes wrong ends the attempt with a status and a message.
 */
export async function runAttemptJob(opts: {
  handle: DbHandle;
  config: RunnerConfig;
  job: JobRow;
  signal: AbortSignal;
  stopReason: () => StopReason | null;
  /**
   * Whether a message to the attempt may be waiting (the flag is then cleared): the steer queue is read only then,
   * not at every step of the agent (the runner flags the first step, a steer's notification, and what its heartbeat
   * finds).
   */
  steerWaiting: () => boolean;
}): Promise<AttemptStatus> {
  const { handle, config, job } = opts;
  const db = handle.db;
  const attempt = await findAttempt(db, job.attemptId);
  const task = await findTask(db, job.taskId);
  if (!attempt || !task) return "failed";
  const events = await AttemptEventWriter.open(handle, { taskId: task.id, attemptId: attempt.id, turn: job.turn });
  const setStatus = async (status: AttemptStatus, extra: Record<string, unknown> = {}) => {
    await updateAttempt(db, attempt.id, { status, ...extra });
    await events.append("status", { status });
    if (!WITHIN_RUNNING.has(status)) await refreshTaskStatus(db, task.id);
  };

  let sandbox: Sandbox | null = null;
  let resources: AttemptResources | null = null;
  let cpuWatch: NodeJS.Timeout | null = null;
  let agentNetwork: PhaseNetwork | null = null;
  let agentModel: PhaseModel | null = null;
  let prepared: PreparedWorkspace | null = null;
  let finalStatus: AttemptStatus = "failed";
  // Everything the turn held on this machine goes before its final status is written: a finished attempt has no
  // process, mount or cgroup left.
  const releaseAll = async () => {
    if (cpuWatch) clearInterval(cpuWatch);
    await sandbox?.destroy().catch(() => undefined);
    if (agentNetwork) await closePhaseNetwork(agentNetwork, events, "agent").catch(() => undefined);
    agentNetwork = null;
    await closeModelGateway(agentModel, events).catch(() => undefined);
    agentModel = null;
    await prepared?.release().catch((err) => logError("could not unmount an attempt's overlay", err));
    if (prepared) await returnObjects(attemptWorkspace(config.dataDir, attempt.id).hostRepo, { base: "HEAD", keep: [] }).catch(() => undefined);
    prepared = null;
    await resources?.release().catch((err) => logError("could not release an attempt's volume", err));
  };
  try {
    if (attempt.cancelRequested) throw new AttemptFailure("cancelled", "Stopped before it started.");
    await setStatus("preparing", { startedAt: attempt.startedAt ?? new Date(), turn: job.turn, errorCode: null, errorMessage: null });

    const available = await sandboxAvailable(config.sandbox.bwrapPath);
    if (!available.ok) throw new AttemptFailure("sandbox_unavailable", available.message);
    // The task's engine (the Patchbay agent, Codex CLI, Claude Code): installed and with a model, or a clear error.
    const engine = engineFor(task.engine, { ...config.engines, openai: config.model });
    const engineProblem = task.mode === "setup" ? null : engine.unavailable();
    if (engineProblem) throw new AttemptFailure(engineProblem.code, engineProblem.message);

    const ws = attemptWorkspace(config.dataDir, attempt.id);
    if (job.turn > 0 && !(await exists(path.join(ws.hostRepo, "HEAD")))) {
      throw new AttemptFailure("workspace_gone", "This attempt's workspace was removed; start a new task.");
    }
    const sandboxUser = isRoot() ? await ensureSandboxUser() : null;
    const packageDir = engine.packageDir && task.mode !== "setup" ? await enginePackageDir(engine, config.dataDir, sandboxUser) : null;
    const environment = await findEnvironment(db, task.ownerId, task.repoFullName);
    resources = await acquireAttemptResources({ config, workspace: ws, attemptId: attempt.id });
    const held = resources;
    for (const note of held.notes) await events.append("log", { chunkId: "setup", stream: "system", text: `Note: ${note}.\n` });
    const turnBase = held.sandboxBase(ws, sandboxUser);

    // The CPU budget holds across every command of the turn: past it, the running command is stopped and the
    // attempt ends with a clear message.
    const cpuStop = new AbortController();
    const signal = AbortSignal.any([opts.signal, cpuStop.signal]);
    cpuWatch = setInterval(() => {
      void held.cpuSeconds().then((used) => {
        if (used !== null && used > held.limits.cpuSeconds && !cpuStop.signal.aborted) cpuStop.abort("cpu_limit");
      });
    }, 500);
    cpuWatch.unref();
    const cpuFailure = () =>
      cpuStop.signal.aborted && !opts.signal.aborted ? new AttemptFailure("cpu_limit", limitMessage("cpu", held.limits).replace("[patchbay] ", "")) : null;

    // Workspace: a fresh checkout of the base commit in the turn's own volume; a follow-up also gets the previous
    // turn's snapshot back (after setup, so that setup always starts from the base commit).
    const mirror = await syncMirror({
      dataDir: config.dataDir,
      repoFullName: task.repoFullName,
      remoteUrl: config.github.remoteUrl(task.repoFullName),
      token: () => config.github.tokenFor(task.repoFullName),
      // A follow-up continues on its base commit, already in the mirror: no fetch needed at all.
      freshMs: job.turn > 0 && attempt.baseCommit ? Number.POSITIVE_INFINITY : config.mirrorFreshMs,
    });
    // Every sandbox of the turn sees the repository's mirror read-only: a checkout's git dir borrows its objects.
    const sandboxBase = { ...turnBase, extraReadOnlyBinds: [...(turnBase.extraReadOnlyBinds ?? []), { hostPath: mirror, sandboxPath: SANDBOX_MIRROR }] };
    let baseCommit = attempt.baseCommit;
    if (job.turn === 0 || !baseCommit) {
      baseCommit = await resolveCommit(mirror, task.baseBranch);
      if (!baseCommit) {
        // Maybe the branch is newer than the mirror's last fetch: fetch now and look again.
        await syncMirror({
          dataDir: config.dataDir,
          repoFullName: task.repoFullName,
          remoteUrl: config.github.remoteUrl(task.repoFullName),
          token: () => config.github.tokenFor(task.repoFullName),
        });
        baseCommit = await resolveCommit(mirror, task.baseBranch);
      }
      if (!baseCommit) throw new AttemptFailure("branch_not_found", `The branch ${task.baseBranch} does not exist in ${task.repoFullName}.`);
    }
    await ensureHostRepo({ mirror, workspace: ws });
    await updateAttempt(db, attempt.id, { baseCommit, workspacePath: ws.root });
    prepared = await prepareWorkspace({
      handle,
      config,
      ws,
      mirror,
      baseCommit,
      label: `${task.repoFullName}@${task.baseBranch}`,
      repoFullName: task.repoFullName,
      restore: job.turn > 0 && attempt.snapshotCommit !== null,
      environment,
      sandboxUser,
      sandboxBase,
      events,
      signal,
      onSetup: () => setStatus("setup"),
      fresh: task.mode === "setup",
    });
    if (task.mode === "setup") {
      // Test setup: the script ran (it throws when it fails); nothing else happens in this attempt.
      await events.append("log", { chunkId: "setup-script", stream: "system", text: "The setup script finished successfully.\n" });
      await releaseAll();
      await setStatus("succeeded", { summary: "The setup script finished successfully.", finishedAt: new Date() });
      return (finalStatus = "succeeded");
    }
    const mode = task.mode;
    if (signal.aborted) throw cpuFailure() ?? new AttemptFailure("cancelled", "Stopped.");

    // The agent gets the environment's variables but never its secrets, and the internet (through the egress
    // proxy, with the environment's policy) only if the environment allows it.
    agentNetwork = await openPhaseNetwork({ config, workspace: ws, phase: "agent", policy: agentPolicy(environment), events });
    // An engine that runs inside the sandbox reaches its model only through the gateway (never the egress proxy).
    agentModel = await openModelGateway({ engine, packageDir, workspace: ws, maxTokens: config.agentLimits.maxTokens, events });
    sandbox = await createBwrapSandbox({
      ...sandboxBase,
      mode: mode === "code" ? "rw" : "ro",
      ...(agentNetwork.network === "proxy" ? { network: "proxy", proxySocket: agentNetwork.proxySocket } : { network: "off" }),
      ...engineSandboxOptions(agentModel, { extraReadOnlyBinds: sandboxBase.extraReadOnlyBinds, env: environment?.envVars ?? {} }),
    });
    const box = sandbox;
    // Every command of the agent: the limits' notes appended when one was hit (for the person and the model).
    const withLimitNotes = async <R extends { stderr: string; oomKilled?: boolean }>(result: R, onOutput?: (s: "stderr", t: string) => void) => {
      const notes: string[] = [];
      if (result.oomKilled) notes.push(limitMessage("memory", held.limits));
      const usage = await held.volume.usage();
      if (usage && usage.freeBytes < DISK_FULL_BYTES) notes.push(limitMessage("disk", held.limits));
      if (cpuStop.signal.aborted) notes.push(limitMessage("cpu", held.limits));
      if (notes.length) {
        const text = `\n${notes.join("\n")}\n`;
        onOutput?.("stderr", text);
        result.stderr += text;
      }
      return result;
    };
    const withCpuStop = (signal?: AbortSignal) => (signal ? AbortSignal.any([signal, cpuStop.signal]) : cpuStop.signal);
    const exec: ShellExecutor = async (req) => withLimitNotes(await box.exec({ ...req, signal: withCpuStop(req.signal) }), req.onOutput);
    // exec_command sessions: a live stdin (and a terminal when asked for) inside the same sandbox.
    const startCommand: SessionExecutor = async (req) => {
      const started = await box.start({ argv: req.argv, cwd: req.cwd, timeoutMs: req.timeoutMs, tty: req.tty, signal: withCpuStop(req.signal), onOutput: req.onOutput });
      return {
        stdin: true,
        tty: started.tty,
        write: (chars) => started.write(chars),
        kill: () => started.kill(),
        result: started.result.then((r) => withLimitNotes(r, req.onOutput)),
      };
    };
    const patchFs = task.mode === "code" ? ownedPatchFs(createWorkspaceFs(ws.tree), ws.tree, sandboxUser) : null;

    await setStatus("running");
    const turn = await priorTurns(handle, task.id, attempt.id, job.turn);
    const notes = engineNotes(events, job.turn);
    const result = await engine.run({
      mode,
      prompt: turn.prompt ?? task.prompt,
      promptImages: turn.images,
      priorTurns: turn.prior,
      steer: async () => (opts.steerWaiting() ? takeSteerMessages(db, attempt.id) : []),
      exec,
      startCommand,
      fs: patchFs,
      workspaceDir: ws.tree,
      limits: config.agentLimits,
      signal,
      emit: (e) => {
        notes.interrupt();
        return recordAgentEvent(events, e);
      },
      emitActivity: (a) => recordAgentActivity(events, a),
      promptCacheKey: attempt.id,
      toolSurface: config.agentTools,
      firstChunk: turn.firstChunk,
      sandbox: box,
      note: notes.note,
      session: attempt.engineSession,
      gateway: agentModel.gateway,
      stateFile: agentModel.stateFile,
    });
    if (result.session !== attempt.engineSession) await updateAttempt(db, attempt.id, { engineSession: result.session });
    await events.flush();
    await box.destroy();
    await closePhaseNetwork(agentNetwork, events, "agent");
    agentNetwork = null;
    await closeModelGateway(agentModel, events);
    agentModel = null;
    // Tokens and cost add up over the attempt's turns; the cost stays unknown (null) for a model without a price.
    const modelName = task.engine === "claude" ? (config.engines.anthropic?.model ?? "claude-sonnet-4") : (config.model?.model ?? "");
    const price = priceOf(modelName, config.modelPrices);
    const turnCost = price ? costOf(result.usage, price) : null;
    const usage = {
      inputTokens: attempt.inputTokens + result.usage.inputTokens,
      outputTokens: attempt.outputTokens + result.usage.outputTokens,
      cachedInputTokens: attempt.cachedInputTokens + (result.usage.cachedInputTokens ?? 0),
      reasoningTokens: attempt.reasoningTokens + (result.usage.reasoningTokens ?? 0),
      costUsd: turnCost === null ? attempt.costUsd : (attempt.costUsd ?? 0) + turnCost,
    };

    if (task.mode === "code") {
      await setStatus("finalizing", usage);
      await finalizeCode({ db, attemptId: attempt.id, ws, baseCommit, prepared, sandboxBase, events, signal: opts.signal });
    } else {
      await updateAttempt(db, attempt.id, usage);
    }
    const limitHit = cpuFailure();
    if (limitHit) throw limitHit;

    const reason = opts.stopReason();
    if (result.status === "succeeded") finalStatus = "succeeded";
    else if (result.status === "cancelled") finalStatus = statusForStop(reason);
    else finalStatus = "failed";
    const error =
      reason === "shutdown" || reason === "lease_lost"
        ? stopError(reason)
        : finalStatus === "timed_out"
        ? { code: "timed_out", message: `The attempt ran longer than ${Math.round(config.attemptTimeoutMs / 60000)} minutes.` }
        : finalStatus === "failed"
          ? (result.error ?? { code: "agent_failed", message: "The agent stopped without finishing." })
          : null;
    await releaseAll();
    await setStatus(finalStatus, {
      summary: result.finalMessage ? storableText(result.finalMessage) : attempt.summary,
      errorCode: error?.code ?? null,
      errorMessage: error?.message ?? null,
      finishedAt: new Date(),
    });
    if (error && finalStatus !== "failed") await events.append("error", error);
  } catch (err) {
    const reason = opts.stopReason();
    const failure =
      err instanceof AttemptFailure
        ? err
        : err instanceof AppError || err instanceof PhaseFailure || err instanceof SnapshotError || err instanceof ResourceError
          ? new AttemptFailure(err.code, err.message)
          : new AttemptFailure("internal", `The runner hit an unexpected error: ${publicMessage(redact((err as Error)?.message ?? String(err))).slice(0, 300)}`);
    if (failure.code === "internal") logError("attempt failed", err);
    finalStatus = reason ? statusForStop(reason) : failure.code === "cancelled" ? "cancelled" : "failed";
    const error = reason === "shutdown" || reason === "lease_lost" ? stopError(reason) : failure;
    await events.flush();
    await releaseAll();
    if (finalStatus === "failed") await events.append("error", { code: error.code, message: error.message });
    await setStatus(finalStatus, {
      errorCode: finalStatus === "failed" ? error.code : null,
      errorMessage: finalStatus === "failed" ? error.message : null,
      finishedAt: new Date(),
    }).catch((e) => logError("could not record the attempt's end", e));
  } finally {
    await releaseAll();
    await events.flush();
  }
  return finalStatus;
}
