-- AlterEnum
ALTER TYPE "segment_fate" ADD VALUE 'marked';

-- AlterTable
ALTER TABLE "segments" ADD COLUMN     "ecn" TEXT;
