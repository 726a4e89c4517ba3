import type { CommandRecord, PatchChange, PlanItem } from "@/lib/agent/types";
import { workspaceRelative, type EngineSinks } from "./shared";

/**
 * Codex CLI's `codex exec --json` stream (one JSON object a line: thread.started, turn.started, item.started /
 * item.updated / item.completed with items agent_message, reasoning, command_execution, file_change, todo_list,
 * mcp_tool_call, web_search, error; turn.completed with usage; turn.failed; error) mapped onto Patchbay's events.
 * Commands get the attempt's chunk ids (c<n>) in the order Codex starts them.
 */

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : null);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);


/** `/bin/bash -lc 'cat src/greet.js'` → ["bash", "-lc", "cat src/greet.js"]: the argv a person reads in the log. */
export function codexArgv(command: unknown): string[] {
  if (Array.isArray(command)) return command.map(String);
  const text = str(command);
  const m = /^(?:\/(?:usr\/)?bin\/)?(bash|sh|zsh) (-lc|-c) '((?:[^']|'\\'')*)'$/s.exec(text);
  if (m) return [m[1], m[2], m[3].replace(/'\\''/g, "'")];
  const d = /^(?:\/(?:usr\/)?bin\/)?(bash|sh|zsh) (-lc|-c) "((?:[^"\\]|\\.)*)"$/s.exec(text);
  if (d) return [d[1], d[2], d[3].replace(/\\(.)/g, "$1")];
  return [text];
}

type Running = { commandId: string; chunkId: string; argv: string[]; started: number; sent: number };

export class CodexEventMapper {
  session: string | null = null;
  finalMessage = "";
  failure: { code: string; message: string } | null = null;
  /** Usage Codex itself reported (the gateway's count is the one that is enforced). */
  usage = { inputTokens: 0, outputTokens: 0 };
  readonly commands: CommandRecord[] = [];
  turnCompleted = false;
  private chunkNo: number;
  private running = new Map<string, Running>();
  private plans = new Map<string, string>();

  constructor(
    private readonly sinks: EngineSinks,
    firstChunk: number,
    private readonly now: () => number = Date.now,
  ) {
    this.chunkNo = firstChunk;
  }

  async handle(event: Json): Promise<void> {
    const type = str(event.type);
    if (type === "thread.started") {
      this.session = str(event.thread_id) || this.session;
      return;
    }
    if (type === "turn.completed") {
      this.turnCompleted = true;
      const u = obj(event.usage);
      if (u) {
        this.usage.inputTokens += num(u.input_tokens) ?? 0;
        this.usage.outputTokens += num(u.output_tokens) ?? 0;
      }
      return;
    }
    if (type === "turn.failed") {
      const message = str(obj(event.error)?.message) || "Codex CLI ended the turn with an error.";
      this.failure = { code: "engine_failed", message: `Codex CLI: ${message}` };
      return;
    }
    if (type === "error") {
      const message = str(event.message);
      if (message) this.failure ??= { code: "engine_failed", message: `Codex CLI: ${message}` };
      return;
    }
    if (type === "item.started" || type === "item.updated" || type === "item.completed") {
      const item = obj(event.item);
      if (item) await this.item(type, item);
    }
  }

  /** Commands still open when the CLI stopped (Stop, a crash): closed in the log with no exit code. */
  async closeOpen(): Promise<void> {
    for (const [id, r] of this.running) {
      this.running.delete(id);
      await this.sinks.emit({ type: "command_end", commandId: r.commandId, chunkId: r.chunkId, exitCode: null, durationMs: this.now() - r.started, timedOut: false, truncated: false });
      this.commands.push({ argv: r.argv, exitCode: null, durationMs: this.now() - r.started, chunkId: r.chunkId });
    }
  }

  private async item(phase: string, item: Json) {
    const id = str(item.id);
    switch (str(item.type)) {
      case "agent_message":
        if (phase === "item.completed") {
          const text = str(item.text);
          if (!text) return;
          this.finalMessage = text;
          await this.sinks.emit({ type: "message_delta", text: `${text}\n\n` });
        }
        return;
      case "reasoning":
        if (phase === "item.completed" && str(item.text).trim()) await this.sinks.emitActivity({ type: "reasoning", text: str(item.text).trim() });
        return;
      case "command_execution":
        return this.command(phase, id, item);
      case "file_change": {
        if (phase !== "item.completed") return;
        const changes = Array.isArray(item.changes) ? item.changes.map(obj).filter((c): c is Json => c !== null) : [];
        const changed: PatchChange[] = changes.map((c) => ({
          path: workspaceRelative(str(c.path)),
          kind: c.kind === "add" ? "add" : c.kind === "delete" ? "delete" : "update",
        }));
        const failed = item.status === "failed";
        await this.sinks.emit({
          type: "patch",
          changed: failed ? [] : changed,
          failures: failed ? changed.map((c) => ({ path: c.path, message: "Codex could not apply this change" })) : [],
        });
        return;
      }
      case "todo_list": {
        const items = Array.isArray(item.items) ? item.items.map(obj).filter((i): i is Json => i !== null) : [];
        let current = false;
        const plan: PlanItem[] = items.map((i) => {
          if (i.completed === true) return { step: str(i.text), status: "completed" };
          if (!current) {
            current = true;
            return { step: str(i.text), status: "in_progress" };
          }
          return { step: str(i.text), status: "pending" };
        });
        const key = JSON.stringify(plan);
        if (this.plans.get(id) === key) return;
        this.plans.set(id, key);
        await this.sinks.emit({ type: "plan", plan });
        return;
      }
      case "mcp_tool_call":
        if (phase === "item.started") await this.sinks.note(`Codex called the tool ${str(item.server)}.${str(item.tool)}.\n`);
        return;
      case "web_search":
        if (phase === "item.started") await this.sinks.note(`Codex searched the web for ${JSON.stringify(str(item.query))}.\n`);
        return;
      case "error":
        // Codex reports warnings (e.g. no metadata for the model) as error items; the turn goes on.
        if (phase === "item.completed" && str(item.message)) await this.sinks.note(`Codex CLI: ${str(item.message)}\n`);
        return;
      default:
        return;
    }
  }

  private async command(phase: string, id: string, item: Json) {
    let r = this.running.get(id);
    if (!r) {
      const n = this.chunkNo++;
      r = { commandId: `cmd_${n}`, chunkId: `c${n}`, argv: codexArgv(item.command), started: this.now(), sent: 0 };
      this.running.set(id, r);
      await this.sinks.emit({ type: "command_start", commandId: r.commandId, chunkId: r.chunkId, argv: r.argv, cwd: "" });
    }
    const output = str(item.aggregated_output);
    if (output.length > r.sent) {
      await this.sinks.emit({ type: "output", commandId: r.commandId, chunkId: r.chunkId, stream: "stdout", text: output.slice(r.sent) });
      r.sent = output.length;
    }
    if (phase !== "item.completed") return;
    this.running.delete(id);
    const exitCode = num(item.exit_code);
    const durationMs = num(item.duration_ms) ?? this.now() - r.started;
    await this.sinks.emit({ type: "command_end", commandId: r.commandId, chunkId: r.chunkId, exitCode, durationMs, timedOut: false, truncated: false });
    this.commands.push({ argv: r.argv, exitCode, durationMs, chunkId: r.chunkId });
  }
}
