ALTER TABLE "attempts" ADD COLUMN "retry_of" uuid;--> statement-breakpoint
ALTER TABLE "attempts" ADD COLUMN "pr_turn" integer;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "worked_ms" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "pr_base" text;--> statement-breakpoint
ALTER TABLE "turns" ADD COLUMN "attempt_id" uuid;