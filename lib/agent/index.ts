import "server-only";

export { runAgent, type AgentLimits, type RunAgentOptions } from "./loop";
export { createModelClient, ModelError, type ApiMode, type ModelClient, type ModelClientOptions, type ReasoningEffort } from "./model";
export { WorkspaceFs, WorkspaceFsError, createWorkspaceFs } from "./workspace-fs";
export { applyPatch, formatPatchResult, parsePatch } from "./apply-patch";
export { loadAgentsMd, type AgentsMd } from "./agents-md";
export { buildInstructions } from "./prompt";
export { AGENT_TOOLS, truncateForModel } from "./tools";
export type * from "./types";
