import "server-only";

import { randomUUID } from "node:crypto";

import type { WorkspaceReader } from "./agents-md";
import { Compactor } from "./compaction";
import { Instructions } from "./instructions";
import { modelFamily, type ToolSurface } from "./model-family";
import { ModelError } from "./model/errors";
import type { ModelClient, StepRequest, StepResult } from "./model/types";
import { executeToolCall, oneShotSessions, SessionManager, toolsFor, type ToolContext } from "./tools";
import type {
  AgentActivity,
  AgentEvent,
  AgentMode,
  AgentResult,
  CommandRecord,
  PatchFs,
  SessionExecutor,
  ShellExecutor,
  Usage,
} from "./types";
import { WorkspaceFs } from "./workspace-fs";
import { LinkFollowingReader } from "./workspace-links";

export type AgentLimits = {
  /** Model calls in this run. */
  maxSteps: number;
  /** Input + output tokens summed over every model call of this run. */
  maxTokens: number;
  /** Default and cap of one command's timeout (and of an exec_command session's wall clock). */
  commandTimeoutMs: number;
  /** Bytes of a tool result sent to the model (the log keeps everything the sandbox captured). */
  maxToolOutputBytes?: number;
  /** Input tokens the model accepts; default: the model family's (model-family.ts), unknown for other models. */
  contextWindowTokens?: number;
};

export type RunAgentOptions = {
  model: ModelClient;
  mode: AgentMode;
  prompt: string;
  /** Images the person attached to the prompt, as data: URLs (PNG, JPEG, WebP). */
  promptImages?: string[];
  /** Earlier turns of the task (a follow-up continues them). */
  priorTurns?: { prompt: string; finalMessage: string; images?: string[] }[];
  /**
   * Messages the person sent while the agent works (steering): asked for between steps; each one is added to the
   * conversation where it landed, and reported (activity "steer").
   */
  steer?: () => Promise<string[]>;
  exec: ShellExecutor;
  /** Write access for apply_patch; null in Ask mode. */
  fs: PatchFs | null;
  /** Host path of the checkout, to read AGENTS.md (symlinks followed only inside it) and images. */
  workspaceDir: string;
  limits: AgentLimits;
  signal: AbortSignal;
  emit: (e: AgentEvent) => void | Promise<void>;
  /** The agent's thinking, retries, compactions and typed input, in order with `emit`'s events; dropped when absent. */
  emitActivity?: (e: AgentActivity) => void | Promise<void>;
  /** Number of the first chunk id (`c<n>`); a follow-up turn continues after the previous turn's chunks. */
  firstChunk?: number;
  /** Starts exec_command sessions with a live stdin; default: sessions on `exec` (stdin not connected). */
  startCommand?: SessionExecutor;
  /** The tools offered: by the model's family ("auto", the default), or forced. */
  toolSurface?: ToolSurface | "auto";
  /** Responses `prompt_cache_key`; default a fresh id per run. Pass the attempt's id so follow-ups share it. */
  promptCacheKey?: string;
};

/** How a message sent mid-run reads to the model (it knows it is not a new task). */
export const STEER_PREFIX = "[A message from the person while you work — take it into account from now on, and acknowledge it briefly]\n";

type Emitted = { kind: "event"; e: AgentEvent } | { kind: "activity"; e: AgentActivity };

/** Delivers events in order without making the loop wait on each one; a failing sink fails the run. */
function serialEmitter(event: RunAgentOptions["emit"], activity: RunAgentOptions["emitActivity"]) {
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  const push = (item: Emitted) => {
    chain = chain.then(async () => {
      if (failure !== null) return;
      try {
        if (item.kind === "event") await event(item.e);
        else await activity?.(item.e);
      } catch (err) {
        failure = err ?? new Error("event sink failed");
      }
    });
  };
  return {
    event: (e: AgentEvent) => push({ kind: "event", e }),
    activity: (e: AgentActivity) => {
      if (activity) push({ kind: "activity", e });
    },
    async flush() {
      await chain;
      if (failure !== null) throw failure;
    },
  };
}

class StopRun extends Error {
  constructor(
    readonly status: "failed" | "cancelled",
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function workspaceAccess(dir: string): { reader: WorkspaceReader; readImage?: (p: string) => Promise<Buffer | null> } {
  try {
    const fs = new WorkspaceFs(dir);
    return { reader: new LinkFollowingReader(fs), readImage: (p) => fs.readBytes(p) };
  } catch {
    return { reader: { read: async () => null } };
  }
}

/** How many times one step is retried after compacting for a context-length error. */
const CONTEXT_RETRIES = 2;

export async function runAgent(opts: RunAgentOptions): Promise<AgentResult> {
  const { model, mode, signal, limits } = opts;
  const events = serialEmitter(opts.emit, opts.emitActivity);
  const usage: Usage = { inputTokens: 0, outputTokens: 0 };
  const addUsage = (u: Usage) => {
    usage.inputTokens += u.inputTokens;
    usage.outputTokens += u.outputTokens;
    if (u.cachedInputTokens) usage.cachedInputTokens = (usage.cachedInputTokens ?? 0) + u.cachedInputTokens;
    if (u.reasoningTokens) usage.reasoningTokens = (usage.reasoningTokens ?? 0) + u.reasoningTokens;
  };
  const commands: CommandRecord[] = [];
  let chunkNo = (opts.firstChunk ?? 1) - 1;
  let finalMessage = "";

  const family = modelFamily(model.model);
  const surface = opts.toolSurface && opts.toolSurface !== "auto" ? opts.toolSurface : family.surface;
  const tools = toolsFor(surface);
  const workspace = workspaceAccess(opts.workspaceDir);
  const instructions = new Instructions({ reader: workspace.reader, mode, surface });
  const nextCommand = () => {
    chunkNo++;
    return { commandId: `cmd_${chunkNo}`, chunkId: `c${chunkNo}` };
  };
  const sessions = new SessionManager({
    start: opts.startCommand ?? oneShotSessions(opts.exec),
    emit: events.event,
    commands,
    nextCommand,
    timeoutMs: limits.commandTimeoutMs,
    signal,
  });
  const images: string[] = [];
  const toolCtx: ToolContext = {
    mode,
    exec: opts.exec,
    fs: mode === "ask" ? null : opts.fs,
    commandTimeoutMs: limits.commandTimeoutMs,
    maxToolOutputBytes: limits.maxToolOutputBytes,
    signal,
    emit: events.event,
    activity: events.activity,
    nextCommand,
    commands,
    sessions,
    readImage: workspace.readImage,
    attachImage: (url) => void images.push(url),
    noteDirectory: (dir) => instructions.addDirectory(dir),
    surface,
  };

  const history = model.createHistory();
  for (const turn of opts.priorTurns ?? []) {
    history.addUserMessage(turn.prompt);
    for (const url of turn.images ?? []) history.addUserImage(url);
    if (turn.finalMessage) history.addAssistantMessage(turn.finalMessage);
  }
  history.addUserMessage(opts.prompt);
  for (const url of opts.promptImages ?? []) history.addUserImage(url);
  const compactor = new Compactor({
    model,
    history,
    contextWindow: limits.contextWindowTokens ?? family.contextWindow,
    activity: events.activity,
  });
  const promptCacheKey = opts.promptCacheKey ?? randomUUID();

  const checkCancelled = () => {
    if (signal.aborted) throw new StopRun("cancelled", "cancelled", "the task was cancelled");
  };

  /** One model call, compacting the conversation first when it nears the window, and again if the server refuses it. */
  const callModel = async (): Promise<StepResult> => {
    const system = await instructions.build();
    compactor.setOverhead(system.length + JSON.stringify(tools).length);
    if (compactor.shouldCompact()) addUsage(await compactor.compact({ reason: "context_window", instructions: system, signal, promptCacheKey }));
    const req: StepRequest = {
      instructions: system,
      history,
      tools,
      signal,
      promptCacheKey,
      onTextDelta: (text) => events.event({ type: "message_delta", text }),
      onReasoningDelta: (text) => events.activity({ type: "reasoning_delta", text }),
      onReasoning: (text) => events.activity({ type: "reasoning", text }),
      onRetry: async (info) => {
        events.activity({ type: "retry", ...info });
        await events.flush();
      },
    };
    for (let tries = 0; ; tries++) {
      const sizeBefore = history.size();
      try {
        const result = await model.step(req);
        compactor.record(sizeBefore, result.usage.inputTokens);
        return result;
      } catch (err) {
        if (!(err instanceof ModelError) || !err.contextExceeded || tries >= CONTEXT_RETRIES) throw err;
        addUsage(await compactor.compact({ reason: "context_length_exceeded", instructions: system, signal, promptCacheKey }));
      }
    }
  };

  /** Stops what is still running (no command outlives the run), then delivers the last events. */
  const finish = async (result: AgentResult): Promise<AgentResult> => {
    await sessions.closeAll();
    try {
      await events.flush();
    } catch (err) {
      if (result.status === "succeeded") throw err;
      // the sink is broken; the result still says what happened
    }
    return result;
  };

  try {
    for (let step = 0; ; step++) {
      checkCancelled();
      if (step >= limits.maxSteps) {
        throw new StopRun("failed", "step_limit", `the agent did not finish within ${limits.maxSteps} model calls`);
      }
      const result = await callModel();
      addUsage(result.usage);
      events.event({
        type: "usage",
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        cachedInputTokens: usage.cachedInputTokens ?? 0,
        reasoningTokens: usage.reasoningTokens ?? 0,
      });
      await events.flush();

      if (result.done) {
        finalMessage = result.text.trim();
        events.event({ type: "message", text: finalMessage });
        return await finish({ status: "succeeded", finalMessage, usage, commands });
      }
      if (usage.inputTokens + usage.outputTokens > limits.maxTokens) {
        throw new StopRun("failed", "token_limit", `the agent used more than ${limits.maxTokens} tokens`);
      }

      for (const call of result.toolCalls) {
        checkCancelled();
        const outcome = await executeToolCall(call, toolCtx);
        history.addToolResult(call, outcome.output);
        await events.flush();
      }
      // Images go after every tool result of the step (Chat Completions wants the results right after the calls).
      for (const url of images.splice(0)) history.addUserImage(url);
      // Steering: what the person said meanwhile reaches the model before its next step.
      for (const text of (await opts.steer?.()) ?? []) {
        history.addUserMessage(`${STEER_PREFIX}${text}`);
        events.activity({ type: "steer", text });
      }
      if (sessions.failure) throw sessions.failure;
      checkCancelled();
    }
  } catch (err) {
    let status: "failed" | "cancelled";
    let error: { code: string; message: string };
    if (err instanceof StopRun) {
      status = err.status;
      error = { code: err.code, message: err.message };
    } else if (err instanceof ModelError) {
      status = err.code === "cancelled" || signal.aborted ? "cancelled" : "failed";
      error = { code: err.code, message: err.detail };
    } else if (signal.aborted) {
      status = "cancelled";
      error = { code: "cancelled", message: "the task was cancelled" };
    } else {
      status = "failed";
      error = { code: "agent_error", message: err instanceof Error ? err.message : String(err) };
    }
    if (status === "failed") events.event({ type: "error", code: error.code, message: error.message });
    return finish(
      status === "cancelled"
        ? { status, finalMessage, usage, commands, error: { code: "cancelled", message: "the task was cancelled" } }
        : { status, finalMessage, usage, commands, error },
    );
  }
}
