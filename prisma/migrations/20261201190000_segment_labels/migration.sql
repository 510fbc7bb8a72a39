-- AlterTable
ALTER TABLE "segments" ADD COLUMN     "label" TEXT;
