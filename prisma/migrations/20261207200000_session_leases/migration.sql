-- CreateTable
CREATE TABLE "session_leases" (
    "session_id" UUID NOT NULL,
    "owner" TEXT NOT NULL,
    "owner_url" TEXT NOT NULL,
    "epoch" BIGINT NOT NULL,
    "expires_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "session_leases_pkey" PRIMARY KEY ("session_id")
);

-- CreateTable
CREATE TABLE "cluster_instances" (
    "id" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "seen_at" TIMESTAMPTZ(6) NOT NULL,

    CONSTRAINT "cluster_instances_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cluster_keys" (
    "name" TEXT NOT NULL,
    "secret" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cluster_keys_pkey" PRIMARY KEY ("name")
);

-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "engine_behaviour" INTEGER NOT NULL DEFAULT 1,
ADD COLUMN     "link" JSONB;

-- AlterTable
ALTER TABLE "snapshots" ADD COLUMN     "engine_behaviour" INTEGER NOT NULL DEFAULT 1;

-- AddForeignKey
ALTER TABLE "session_leases" ADD CONSTRAINT "session_leases_session_id_fkey" FOREIGN KEY ("session_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
