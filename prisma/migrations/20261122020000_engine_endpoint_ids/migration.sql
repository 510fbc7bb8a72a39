-- Endpoints are named by the engine (e1, e2, ... in each session, deterministic on replay), and
-- the API and the trace use those names. The engine also traces congestion phases and link
-- queues. No service has written endpoints or trace events before this migration.

-- AlterEnum
ALTER TYPE "trace_event_kind" ADD VALUE 'congestion';
ALTER TYPE "trace_event_kind" ADD VALUE 'link';

-- DropTable
DROP TABLE "endpoints";

-- CreateTable
CREATE TABLE "endpoints" (
    "session_id" UUID NOT NULL,
    "id" TEXT NOT NULL,
    "parent_id" TEXT,
    "name" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "port" INTEGER NOT NULL,
    "options" JSONB NOT NULL DEFAULT '{}',
    "state" TEXT NOT NULL DEFAULT 'CLOSED',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "endpoints_pkey" PRIMARY KEY ("session_id","id")
);

-- CreateIndex
CREATE UNIQUE INDEX "endpoints_session_id_name_key" ON "endpoints"("session_id", "name");

-- AddForeignKey
ALTER TABLE "endpoints" ADD CONSTRAINT "endpoints_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AlterTable
ALTER TABLE "trace_events" ALTER COLUMN "endpoint_id" SET DATA TYPE TEXT;

-- AlterTable
ALTER TABLE "segments" ALTER COLUMN "endpoint_id" SET DATA TYPE TEXT;
