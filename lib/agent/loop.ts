import "server-only";

import { dirOf, loadAgentsMd, type WorkspaceReader } from "./agents-md";
import { ModelError } from "./model/errors";
import type { ModelClient } from "./model/types";
import { buildInstructions } from "./prompt";
import { AGENT_TOOLS, executeToolCall, normalizeWorkdir, type ToolContext } from "./tools";
import type { AgentEvent, AgentMode, AgentResult, CommandRecord, PatchFs, ShellExecutor, Usage } from "./types";
import { WorkspaceFs } from "./workspace-fs";

export type AgentLimits = {
  /** Model calls in this run. */
  maxSteps: number;
  /** Input + output tokens summed over every model call of this run. */
  maxTokens: number;
  /** Default and cap of one command's timeout. */
  commandTimeoutMs: number;
  /** Bytes of a tool result sent to the model (the log keeps everything the sandbox captured). */
  maxToolOutputBytes?: number;
};

export type RunAgentOptions = {
  model: ModelClient;
  mode: AgentMode;
  prompt: string;
  /** Earlier turns of the task (a follow-up continues them). */
  priorTurns?: { prompt: string; finalMessage: string }[];
  exec: ShellExecutor;
  /** Write access for apply_patch; null in Ask mode. */
  fs: PatchFs | null;
  /** Host path of the checkout, to read AGENTS.md (never through symlinks). */
  workspaceDir: string;
  limits: AgentLimits;
  signal: AbortSignal;
  emit: (e: AgentEvent) => void | Promise<void>;
  /** Number of the first chunk id (`c<n>`); a follow-up turn continues after the previous turn's chunks. */
  firstChunk?: number;
};

/** Delivers events in order without making the loop wait on each one; a failing sink fails the run. */
function serialEmitter(sink: (e: AgentEvent) => void | Promise<void>) {
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown = null;
  return {
    push(e: AgentEvent) {
      chain = chain.then(async () => {
        if (failure === null) {
          try {
            await sink(e);
          } catch (err) {
            failure = err ?? new Error("event sink failed");
          }
        }
      });
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

export async function runAgent(opts: RunAgentOptions): Promise<AgentResult> {
  const { model, mode, signal, limits } = opts;
  const events = serialEmitter(opts.emit);
  const usage: Usage = { inputTokens: 0, outputTokens: 0 };
  const commands: CommandRecord[] = [];
  let chunkNo = (opts.firstChunk ?? 1) - 1;
  let finalMessage = "";

  // Directories whose AGENTS.md apply: the root, plus each directory the agent works or edits in.
  const dirs = new Set<string>([""]);
  let reader: WorkspaceReader;
  try {
    reader = new WorkspaceFs(opts.workspaceDir);
  } catch {
    reader = { read: async () => null };
  }
  let agentsMdKey = "";
  let agentsMdText = "";
  const instructions = async () => {
    const key = [...dirs].sort().join("\n");
    if (key !== agentsMdKey) {
      agentsMdKey = key;
      agentsMdText = (await loadAgentsMd({ reader, dirs: [...dirs] })).text;
    }
    return buildInstructions({ mode, agentsMd: agentsMdText });
  };

  const toolCtx: ToolContext = {
    mode,
    exec: opts.exec,
    fs: mode === "ask" ? null : opts.fs,
    commandTimeoutMs: limits.commandTimeoutMs,
    maxToolOutputBytes: limits.maxToolOutputBytes,
    signal,
    emit: (e) => {
      if (e.type === "patch") for (const c of e.changed) dirs.add(dirOf(c.path));
      events.push(e);
    },
    nextCommand: () => {
      chunkNo++;
      return { commandId: `cmd_${chunkNo}`, chunkId: `c${chunkNo}` };
    },
    commands,
  };

  const history = model.createHistory();
  for (const turn of opts.priorTurns ?? []) {
    history.addUserMessage(turn.prompt);
    if (turn.finalMessage) history.addAssistantMessage(turn.finalMessage);
  }
  history.addUserMessage(opts.prompt);

  const checkCancelled = () => {
    if (signal.aborted) throw new StopRun("cancelled", "cancelled", "the task was cancelled");
  };

  try {
    for (let step = 0; ; step++) {
      checkCancelled();
      if (step >= limits.maxSteps) {
        throw new StopRun("failed", "step_limit", `the agent did not finish within ${limits.maxSteps} model calls`);
      }
      const result = await model.step({
        instructions: await instructions(),
        history,
        tools: AGENT_TOOLS,
        signal,
        onTextDelta: (text) => events.push({ type: "message_delta", text }),
      });
      usage.inputTokens += result.usage.inputTokens;
      usage.outputTokens += result.usage.outputTokens;
      events.push({ type: "usage", inputTokens: usage.inputTokens, outputTokens: usage.outputTokens });
      await events.flush();

      if (result.done) {
        finalMessage = result.text.trim();
        events.push({ type: "message", text: finalMessage });
        await events.flush();
        return { status: "succeeded", finalMessage, usage, commands };
      }
      if (usage.inputTokens + usage.outputTokens > limits.maxTokens) {
        throw new StopRun("failed", "token_limit", `the agent used more than ${limits.maxTokens} tokens`);
      }

      for (const call of result.toolCalls) {
        checkCancelled();
        if (call.name === "shell") {
          try {
            const wd = normalizeWorkdir((JSON.parse(call.arguments) as { workdir?: unknown }).workdir);
            if (wd) dirs.add(wd);
          } catch {
            // bad arguments are reported to the model by the tool itself
          }
        }
        const outcome = await executeToolCall(call, toolCtx);
        history.addToolResult(call, outcome.output);
        await events.flush();
      }
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
    if (status === "failed") events.push({ type: "error", code: error.code, message: error.message });
    try {
      await events.flush();
    } catch {
      // the sink is broken; the result still says what happened
    }
    return status === "cancelled"
      ? { status, finalMessage, usage, commands, error: { code: "cancelled", message: "the task was cancelled" } }
      : { status, finalMessage, usage, commands, error };
  }
}
