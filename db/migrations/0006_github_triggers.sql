CREATE TABLE "github_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"dedupe_key" text NOT NULL,
	"event" text NOT NULL,
	"action" text,
	"payload" jsonb,
	"status" text DEFAULT 'queued' NOT NULL,
	"tries" integer DEFAULT 0 NOT NULL,
	"lease_until" timestamp with time zone,
	"error" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "github_repo_settings" (
	"repo_full_name" text PRIMARY KEY NOT NULL,
	"review_on_request" boolean DEFAULT false NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "github_task_links" (
	"task_id" uuid PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"repo_full_name" text NOT NULL,
	"number" integer NOT NULL,
	"title" text NOT NULL,
	"delivery_id" text NOT NULL,
	"comment_id" bigint,
	"source_url" text NOT NULL,
	"requested_by" text NOT NULL,
	"head_ref" text,
	"head_sha" text,
	"base_ref" text,
	"state" text DEFAULT 'waiting' NOT NULL,
	"lease_until" timestamp with time zone,
	"result_url" text,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "github_repo_settings" ADD CONSTRAINT "github_repo_settings_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "github_task_links" ADD CONSTRAINT "github_task_links_task_id_tasks_id_fk" FOREIGN KEY ("task_id") REFERENCES "public"."tasks"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "github_deliveries_dedupe_idx" ON "github_deliveries" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "github_deliveries_status_idx" ON "github_deliveries" USING btree ("status","received_at");--> statement-breakpoint
CREATE INDEX "github_task_links_state_idx" ON "github_task_links" USING btree ("state");--> statement-breakpoint
CREATE UNIQUE INDEX "github_task_links_delivery_idx" ON "github_task_links" USING btree ("delivery_id");