import type { CommandRecord, PatchChange, PlanItem } from "@/lib/agent/types";
import { workspaceRelative, type EngineSinks } from "./shared";

/**
 * Claude Code's `claude -p --output-format stream-json --verbose` stream mapped onto Patchbay's events: `system`
 * (init: the session id), `assistant` messages (text, thinking and tool_use blocks), `user` messages carrying the
 * tool results, and the final `result`. Bash tool calls are the commands (chunk ids c<n>); Edit, MultiEdit, Write
 * and NotebookEdit are patches; TodoWrite is the plan; other tools (Read, Grep, Glob…) are notes in the log.
 */

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | null => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : null);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

const EDIT_TOOLS = new Set(["Edit", "MultiEdit", "Write", "NotebookEdit"]);

/** The text of a tool_result's content (a string or text blocks). */
function resultText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((b) => (obj(b)?.type === "text" ? str(obj(b)?.text) : "")).join("");
}

/** A one-line description of a tool call that is neither a command nor an edit. */
function describeTool(name: string, input: Json): string {
  const path = str(input.file_path) || str(input.notebook_path) || str(input.path);
  if (name === "Read" && path) return `Read ${workspaceRelative(path)}`;
  if ((name === "Grep" || name === "Glob") && str(input.pattern)) return `${name} ${JSON.stringify(str(input.pattern))}${path ? ` in ${workspaceRelative(path)}` : ""}`;
  if (name === "WebFetch" && str(input.url)) return `WebFetch ${str(input.url)}`;
  if (name === "WebSearch" && str(input.query)) return `WebSearch ${JSON.stringify(str(input.query))}`;
  if (name === "Task" && str(input.description)) return `Task: ${str(input.description)}`;
  return path ? `${name} ${workspaceRelative(path)}` : name;
}

type PendingCommand = { kind: "command"; commandId: string; chunkId: string; argv: string[]; started: number };
type PendingEdit = { kind: "edit"; tool: string; path: string };
type PendingPlan = { kind: "plan"; plan: PlanItem[] };

export class ClaudeEventMapper {
  session: string | null = null;
  finalMessage = "";
  failure: { code: string; message: string } | null = null;
  usage = { inputTokens: 0, outputTokens: 0 };
  readonly commands: CommandRecord[] = [];
  gotResult = false;
  private chunkNo: number;
  private pending = new Map<string, PendingCommand | PendingEdit | PendingPlan>();
  private lastText = "";

  constructor(
    private readonly sinks: EngineSinks,
    firstChunk: number,
    private readonly now: () => number = Date.now,
  ) {
    this.chunkNo = firstChunk;
  }

  async handle(event: Json): Promise<void> {
    switch (str(event.type)) {
      case "system":
        if (str(event.session_id)) this.session = str(event.session_id);
        if (event.subtype === "init") await this.sinks.note(`Claude Code ${str(event.claude_code_version)} · ${str(event.model)}\n`);
        else if (event.subtype === "compact_boundary") await this.sinks.note("Claude Code compacted the conversation.\n");
        return;
      case "assistant":
        return this.assistant(obj(event.message));
      case "user":
        return this.user(obj(event.message), obj(event.tool_use_result) ?? event.tool_use_result);
      case "result": {
        this.gotResult = true;
        if (str(event.session_id)) this.session = str(event.session_id);
        const u = obj(event.usage);
        if (u) {
          this.usage.inputTokens = (num(u.input_tokens) ?? 0) + (num(u.cache_read_input_tokens) ?? 0) + (num(u.cache_creation_input_tokens) ?? 0);
          this.usage.outputTokens = num(u.output_tokens) ?? 0;
        }
        const text = str(event.result);
        if (event.is_error === true || (event.subtype && event.subtype !== "success")) {
          const why = text || str(event.subtype).replace(/_/g, " ");
          this.failure = { code: "engine_failed", message: `Claude Code: ${why}` };
        } else if (text) this.finalMessage = text;
        return;
      }
      default:
        return;
    }
  }

  /** Commands still open when the CLI stopped (Stop, a crash): closed in the log with no exit code. */
  async closeOpen(): Promise<void> {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      if (p.kind !== "command") continue;
      const durationMs = this.now() - p.started;
      await this.sinks.emit({ type: "command_end", commandId: p.commandId, chunkId: p.chunkId, exitCode: null, durationMs, timedOut: false, truncated: false });
      this.commands.push({ argv: p.argv, exitCode: null, durationMs, chunkId: p.chunkId });
    }
  }

  private async assistant(message: Json | null) {
    const blocks = Array.isArray(message?.content) ? message.content.map(obj).filter((b): b is Json => b !== null) : [];
    for (const b of blocks) {
      if (b.type === "text" && str(b.text)) {
        this.lastText = str(b.text);
        await this.sinks.emit({ type: "message_delta", text: `${str(b.text)}\n\n` });
      } else if (b.type === "thinking" && str(b.thinking).trim()) {
        await this.sinks.emitActivity({ type: "reasoning", text: str(b.thinking).trim() });
      } else if (b.type === "tool_use") {
        await this.toolUse(str(b.id), str(b.name), obj(b.input) ?? {});
      }
    }
  }

  private async toolUse(id: string, name: string, input: Json) {
    if (name === "Bash") {
      const n = this.chunkNo++;
      const p: PendingCommand = { kind: "command", commandId: `cmd_${n}`, chunkId: `c${n}`, argv: ["bash", "-c", str(input.command)], started: this.now() };
      this.pending.set(id, p);
      await this.sinks.emit({ type: "command_start", commandId: p.commandId, chunkId: p.chunkId, argv: p.argv, cwd: "" });
      return;
    }
    if (EDIT_TOOLS.has(name)) {
      this.pending.set(id, { kind: "edit", tool: name, path: workspaceRelative(str(input.file_path) || str(input.notebook_path)) });
      return;
    }
    if (name === "TodoWrite" && Array.isArray(input.todos)) {
      // Shown once Claude Code accepted it (some releases turn the tool off and answer with an error).
      const plan: PlanItem[] = input.todos
        .map(obj)
        .filter((t): t is Json => t !== null)
        .map((t) => ({ step: str(t.content), status: t.status === "completed" || t.status === "in_progress" ? t.status : "pending" }));
      this.pending.set(id, { kind: "plan", plan });
      return;
    }
    await this.sinks.note(`${describeTool(name, input)}\n`);
  }

  private async user(message: Json | null, toolUseResult: unknown) {
    const blocks = Array.isArray(message?.content) ? message.content.map(obj).filter((b): b is Json => b !== null) : [];
    for (const b of blocks) {
      if (b.type !== "tool_result") continue;
      const id = str(b.tool_use_id);
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      const isError = b.is_error === true;
      const detail = obj(toolUseResult);
      if (p.kind === "command") {
        // A command that succeeded reports stdout and stderr apart; one that failed, only "Exit code N" and its output.
        const content = resultText(b.content);
        const code = /^Exit code (\d+)\n?/.exec(content);
        const stdout = detail ? str(detail.stdout) : code ? content.slice(code[0].length) : content;
        const stderr = detail ? str(detail.stderr) : "";
        const line = (t: string) => (t.endsWith("\n") ? t : `${t}\n`);
        if (stdout) await this.sinks.emit({ type: "output", commandId: p.commandId, chunkId: p.chunkId, stream: "stdout", text: line(stdout) });
        if (stderr) await this.sinks.emit({ type: "output", commandId: p.commandId, chunkId: p.chunkId, stream: "stderr", text: line(stderr) });
        const interrupted = detail?.interrupted === true;
        const exitCode = interrupted ? null : isError ? (code ? Number(code[1]) : 1) : 0;
        const durationMs = this.now() - p.started;
        await this.sinks.emit({ type: "command_end", commandId: p.commandId, chunkId: p.chunkId, exitCode, durationMs, timedOut: false, truncated: false });
        this.commands.push({ argv: p.argv, exitCode, durationMs, chunkId: p.chunkId });
      } else if (p.kind === "plan") {
        if (!isError) await this.sinks.emit({ type: "plan", plan: p.plan });
      } else {
        if (!p.path) continue;
        const kind: PatchChange["kind"] = p.tool === "Write" && detail?.type === "create" ? "add" : "update";
        await this.sinks.emit(
          isError
            ? { type: "patch", changed: [], failures: [{ path: p.path, message: resultText(b.content).replace(/<\/?tool_use_error>/g, "").trim().slice(0, 500) }] }
            : { type: "patch", changed: [{ path: p.path, kind }], failures: [] },
        );
      }
    }
  }

  /** The final answer: the result's text, else the last text Claude wrote. */
  get answer(): string {
    return (this.finalMessage || this.lastText).trim();
  }
}
