import type { PlanStep, TaskEventDTO } from "@/components/log/types";

export type TurnDigest = {
  turn: number;
  finalMessage: string | null;
  streamingText: string;
  plan: PlanStep[] | null;
  errors: { code: string; message: string }[];
  startedAt: string | null;
  endedAt: string | null;
  status: string | null;
  commands: number;
  /** Messages the person sent while the agent worked, as the agent took them. */
  steers: { text: string; at: string }[];
};

const FINAL = new Set(["succeeded", "failed", "cancelled", "timed_out"]);

/** What the conversation pane shows for each turn of one attempt, folded from its events. */
export function digestTurns(events: TaskEventDTO[]): Map<number, TurnDigest> {
  const turns = new Map<number, TurnDigest>();
  const get = (turn: number) => {
    let d = turns.get(turn);
    if (!d) {
      d = { turn, finalMessage: null, streamingText: "", plan: null, errors: [], startedAt: null, endedAt: null, status: null, commands: 0, steers: [] };
      turns.set(turn, d);
    }
    return d;
  };
  for (const e of events) {
    const d = get(e.turn);
    switch (e.type) {
      case "message":
        d.finalMessage = String(e.payload.text ?? "");
        break;
      case "message_delta":
        d.streamingText += String(e.payload.text ?? "");
        break;
      case "plan":
        d.plan = (e.payload.plan as PlanStep[]) ?? null;
        break;
      case "steer":
        d.steers.push({ text: String(e.payload.text ?? ""), at: e.createdAt });
        break;
      case "error":
        // A stop is not a failure: the turn says "Stopped" instead.
        if (e.payload.code === "cancelled") break;
        d.errors.push({ code: String(e.payload.code ?? "error"), message: String(e.payload.message ?? "") });
        break;
      case "command":
        if (e.payload.phase === "start") d.commands++;
        break;
      case "status": {
        const status = String(e.payload.status);
        d.startedAt ??= e.createdAt;
        d.status = status;
        if (FINAL.has(status)) d.endedAt = e.createdAt;
        break;
      }
    }
  }
  return turns;
}
