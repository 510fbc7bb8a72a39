-- CreateEnum
CREATE TYPE "api_key_role" AS ENUM ('admin', 'instructor', 'viewer');

-- CreateEnum
CREATE TYPE "clock_mode" AS ENUM ('manual', 'realtime');

-- CreateEnum
CREATE TYPE "trace_event_kind" AS ENUM ('state', 'segment', 'timer', 'metrics', 'app', 'clock');

-- CreateEnum
CREATE TYPE "segment_fate" AS ENUM ('delivered', 'dropped', 'duplicated', 'reordered', 'corrupted');

-- CreateTable
CREATE TABLE "tenants" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" UUID NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "role" "api_key_role" NOT NULL,
    "name" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" UUID NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "seed" BIGINT NOT NULL,
    "clock_mode" "clock_mode" NOT NULL DEFAULT 'manual',
    "speed" DOUBLE PRECISION NOT NULL DEFAULT 1,
    "paused" BOOLEAN NOT NULL DEFAULT true,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "now_us" BIGINT NOT NULL DEFAULT 0,
    "last_event_id" BIGINT NOT NULL DEFAULT 0,
    "last_command" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "endpoints" (
    "id" UUID NOT NULL,
    "session_id" UUID NOT NULL,
    "parent_id" UUID,
    "name" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "port" INTEGER NOT NULL,
    "options" JSONB NOT NULL DEFAULT '{}',
    "state" TEXT NOT NULL DEFAULT 'CLOSED',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "endpoints_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "commands" (
    "session_id" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "at_us" BIGINT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "commands_pkey" PRIMARY KEY ("session_id","seq")
);

-- CreateTable
CREATE TABLE "trace_events" (
    "session_id" UUID NOT NULL,
    "event_id" BIGINT NOT NULL,
    "time_us" BIGINT NOT NULL,
    "kind" "trace_event_kind" NOT NULL,
    "endpoint_id" UUID,
    "payload" JSONB NOT NULL,

    CONSTRAINT "trace_events_pkey" PRIMARY KEY ("session_id","event_id")
);

-- CreateTable
CREATE TABLE "segments" (
    "session_id" UUID NOT NULL,
    "event_id" BIGINT NOT NULL,
    "time_us" BIGINT NOT NULL,
    "endpoint_id" UUID,
    "src_address" TEXT NOT NULL,
    "src_port" INTEGER NOT NULL,
    "dst_address" TEXT NOT NULL,
    "dst_port" INTEGER NOT NULL,
    "flags" TEXT NOT NULL,
    "seq" BIGINT NOT NULL,
    "ack" BIGINT NOT NULL,
    "len" INTEGER NOT NULL,
    "window" INTEGER NOT NULL,
    "options" JSONB NOT NULL DEFAULT '{}',
    "fate" "segment_fate" NOT NULL,
    "reason" TEXT,

    CONSTRAINT "segments_pkey" PRIMARY KEY ("session_id","event_id")
);

-- CreateTable
CREATE TABLE "snapshots" (
    "session_id" UUID NOT NULL,
    "command_seq" INTEGER NOT NULL,
    "last_event_id" BIGINT NOT NULL,
    "time_us" BIGINT NOT NULL,
    "state" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "snapshots_pkey" PRIMARY KEY ("session_id","command_seq")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_prefix_key" ON "api_keys"("prefix");

-- CreateIndex
CREATE INDEX "api_keys_tenant_id_idx" ON "api_keys"("tenant_id");

-- CreateIndex
CREATE INDEX "sessions_tenant_id_created_at_idx" ON "sessions"("tenant_id", "created_at");

-- CreateIndex
CREATE INDEX "endpoints_parent_id_idx" ON "endpoints"("parent_id");

-- CreateIndex
CREATE UNIQUE INDEX "endpoints_session_id_name_key" ON "endpoints"("session_id", "name");

-- CreateIndex
CREATE INDEX "trace_events_session_id_kind_event_id_idx" ON "trace_events"("session_id", "kind", "event_id");

-- CreateIndex
CREATE INDEX "segments_session_id_endpoint_id_event_id_idx" ON "segments"("session_id", "endpoint_id", "event_id");

-- CreateIndex
CREATE INDEX "segments_session_id_time_us_idx" ON "segments"("session_id", "time_us");

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "endpoints" ADD CONSTRAINT "endpoints_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "endpoints" ADD CONSTRAINT "endpoints_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "endpoints"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "commands" ADD CONSTRAINT "commands_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "trace_events" ADD CONSTRAINT "trace_events_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "segments" ADD CONSTRAINT "segments_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "segments" ADD CONSTRAINT "segments_session_id_event_id_fkey" FOREIGN KEY ("session_id", "event_id") REFERENCES "trace_events"("session_id", "event_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "snapshots" ADD CONSTRAINT "snapshots_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
