/** Tenants' rows, as sessions and keys need them. */
import type { PrismaClient } from '../generated/prisma/client.js';

/**
 * Makes the tenant's row unless it exists. One INSERT ... ON CONFLICT DO NOTHING (an upsert
 * reads, then writes: two instances doing it at once, one failed).
 */
export async function ensureTenant(prisma: PrismaClient, id: string, name: string): Promise<void> {
  await prisma.tenant.createMany({ data: [{ id, name }], skipDuplicates: true });
}
