import "server-only";
import type { AgentActivity, AgentEvent } from "@/lib/agent/types";
import type { AttemptEventWriter } from "@/lib/events/writer";

/**
 * Maps the agent loop's events onto task_events rows (see DESIGN.md §2 for the types). A command's start is written
 * at once (it stays in the log if the runner dies while the command runs); its end, plans and patches go out with
 * the next write, within the writer's 60 ms window, so that a quick command's output and end are one write.
 */
export function recordAgentEvent(events: AttemptEventWriter, e: AgentEvent): Promise<void> {
  switch (e.type) {
    case "message_delta":
      return events.append("message_delta", { text: e.text }, { coalesce: true });
    case "message":
      return events.append("message", { text: e.text });
    case "command_start":
      return events.append("command", { phase: "start", commandId: e.commandId, chunkId: e.chunkId, argv: e.argv, cwd: e.cwd });
    case "output":
      return events.append("log", { commandId: e.commandId, chunkId: e.chunkId, stream: e.stream, text: e.text }, { coalesce: true });
    case "command_end":
      return events.append(
        "command",
        {
          phase: "end",
          commandId: e.commandId,
          chunkId: e.chunkId,
          exitCode: e.exitCode,
          durationMs: e.durationMs,
          timedOut: e.timedOut,
          truncated: e.truncated,
        },
        { batch: true },
      );
    case "plan":
      return events.append("plan", { explanation: e.explanation ?? null, plan: e.plan }, { batch: true });
    case "patch":
      return events.append("patch", { changed: e.changed, failures: e.failures }, { batch: true });
    case "usage":
      return events.append(
        "usage",
        { inputTokens: e.inputTokens, outputTokens: e.outputTokens, cachedInputTokens: e.cachedInputTokens ?? 0, reasoningTokens: e.reasoningTokens ?? 0 },
        { coalesce: true },
      );
    case "error":
      return events.append("error", { code: e.code, message: e.message });
  }
}

/** The agent's activity between its actions: its thinking, retries, compaction, input typed into a session. */
export function recordAgentActivity(events: AttemptEventWriter, a: AgentActivity): Promise<void> {
  switch (a.type) {
    case "reasoning_delta":
      return events.append("reasoning_delta", { text: a.text }, { coalesce: true });
    case "reasoning":
      return events.append("reasoning", { text: a.text });
    case "retry":
      return events.append("retry", { attempt: a.attempt, maxRetries: a.maxRetries, delayMs: a.delayMs, code: a.code, status: a.status ?? null, message: a.message });
    case "compaction":
      return events.append("compaction", {
        reason: a.reason,
        droppedOutputs: a.droppedOutputs,
        summarized: a.summarized,
        tokensBefore: a.tokensBefore,
        tokensAfter: a.tokensAfter,
      });
    case "steer":
      return events.append("steer", { text: a.text });
    case "command_input":
      return events.append("log", { commandId: a.commandId, chunkId: a.chunkId, stream: "stdin", text: a.text }, { coalesce: true });
  }
}
