/**
 * The LISTEN/NOTIFY channel of "a task of this person changed" (created, started, finished, archived, a PR…). The
 * payload is `<owner id>:<task id>`; the board's event stream (lib/events/user-stream.ts) wakes on it. Kept apart
 * from the task-events channel, which fires on every log chunk.
 */
export const BOARD_CHANNEL = "patchbay_board";

export const boardPayload = (ownerId: string, taskId: string) => `${ownerId}:${taskId}`;
