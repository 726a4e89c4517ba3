ALTER TABLE "attempts" ADD COLUMN "engine_session" text;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "engine" text;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "engine" text DEFAULT 'patchbay' NOT NULL;