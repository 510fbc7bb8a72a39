-- Each trace event is stored once: a segment lives only in `segments` (its columns, plus when
-- it arrives), every other event in `trace_events`. Segments already stored twice keep their
-- `segments` row. Trace payloads are read back whole, never searched inside: `json` keeps
-- them as written and costs Postgres less to take in than `jsonb`. No query orders segments
-- by time alone, so that index goes.
-- Tenants get their own limits (sessions, endpoints, trace events), each one overriding the
-- service's default when set.

-- DropForeignKey
ALTER TABLE "segments" DROP CONSTRAINT "segments_session_id_event_id_fkey";

-- AlterTable
ALTER TABLE "segments" ADD COLUMN "arrives_us" BIGINT;

-- Move the segment events
UPDATE "segments" AS s SET "arrives_us" = (t."payload"->>'arrivesUs')::bigint
FROM "trace_events" AS t
WHERE t."session_id" = s."session_id" AND t."event_id" = s."event_id";
DELETE FROM "trace_events" WHERE "kind" = 'segment';

-- DropIndex
DROP INDEX "segments_session_id_time_us_idx";

-- AlterTable
ALTER TABLE "trace_events" ALTER COLUMN "payload" SET DATA TYPE JSON USING "payload"::json;

-- AlterTable
ALTER TABLE "tenants" ADD COLUMN "limits" JSONB NOT NULL DEFAULT '{}';
