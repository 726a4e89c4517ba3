import "server-only";

export { runAgent, type AgentLimits, type RunAgentOptions } from "./loop";
export {
  createModelClient,
  ModelError,
  type ApiMode,
  type ModelClient,
  type ModelClientOptions,
  type ReasoningEffort,
  type ReasoningSummary,
} from "./model";
export { modelFamily, type ModelFamily, type ToolSurface } from "./model-family";
export { WorkspaceFs, WorkspaceFsError, createWorkspaceFs } from "./workspace-fs";
export { LinkFollowingReader, resolveWorkspaceLinks } from "./workspace-links";
export { applyPatch, formatPatchResult, parsePatch } from "./apply-patch";
export { loadAgentsMd, type AgentsMd } from "./agents-md";
export { buildInstructions } from "./prompt";
export { AGENT_TOOLS, oneShotSessions, toolsFor, truncateForModel } from "./tools";
export type * from "./types";
