import "server-only";

import { loadAgentsMd, type WorkspaceReader } from "./agents-md";
import type { ToolSurface } from "./model-family";
import { buildInstructions } from "./prompt";
import type { AgentMode } from "./types";

/**
 * The instructions of each model call: the system prompt plus the AGENTS.md files of the repository root (from the
 * very first call, in every mode) and of each directory the agent has worked in since, re-read only when that set of
 * directories grows.
 */
export class Instructions {
  private readonly dirs = new Set<string>([""]);
  private loadedKey: string | null = null;
  private agentsMd = "";

  constructor(private readonly opts: { reader: WorkspaceReader; mode: AgentMode; surface: ToolSurface }) {}

  addDirectory(dir: string): void {
    this.dirs.add(dir);
  }

  async build(): Promise<string> {
    const key = [...this.dirs].sort().join("\n");
    if (key !== this.loadedKey) {
      this.loadedKey = key;
      this.agentsMd = (await loadAgentsMd({ reader: this.opts.reader, dirs: [...this.dirs] })).text;
    }
    return buildInstructions({ mode: this.opts.mode, agentsMd: this.agentsMd, surface: this.opts.surface });
  }
}
