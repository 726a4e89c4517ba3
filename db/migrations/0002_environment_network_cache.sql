CREATE TABLE "environment_caches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"environment_id" uuid NOT NULL,
	"runner_host" text NOT NULL,
	"cache_key" text NOT NULL,
	"base_commit" text NOT NULL,
	"size_bytes" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "allowlist_preset" text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "setup_internet_policy" text DEFAULT 'on' NOT NULL;--> statement-breakpoint
ALTER TABLE "environments" ADD COLUMN "cache_generation" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "environment_caches" ADD CONSTRAINT "environment_caches_environment_id_environments_id_fk" FOREIGN KEY ("environment_id") REFERENCES "public"."environments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "environment_caches_host_key_idx" ON "environment_caches" USING btree ("runner_host","cache_key");--> statement-breakpoint
CREATE INDEX "environment_caches_env_idx" ON "environment_caches" USING btree ("environment_id");