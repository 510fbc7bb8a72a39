/**
 * API keys: bearer secrets (auth/secrets.ts) that speak for a tenant with a role.
 */
import type { Pool } from 'pg';
import { ensureTenant } from '../store/tenants.js';
import type { ApiKey, ApiKeyRole, PrismaClient } from '../generated/prisma/client.js';
import { digestMatches, newSecret, secretDigest, secretPrefix } from './secrets.js';

export type Role = ApiKeyRole;
export const ROLES: readonly Role[] = ['admin', 'instructor', 'viewer'];

export interface Principal {
  tenantId: string;
  role: Role;
}

const KEY_LABEL = 'tcplab_';

export function generateKey(): string {
  return newSecret(KEY_LABEL);
}

/** The public part of a key's row: what lists show and what revoking names. */
export const keyPrefix = secretPrefix;

export interface NewKey {
  key: string;
  tenantId: string;
  role: Role;
  name: string;
}

/** Stores `key` (its hash) for a tenant, creating the tenant if needed; idempotent. */
export async function ensureKey(prisma: PrismaClient, k: NewKey): Promise<void> {
  await ensureTenant(prisma, k.tenantId, k.tenantId);
  // ON CONFLICT DO NOTHING: instances started at once with one bootstrap key all succeed.
  await prisma.apiKey.createMany({
    data: [
      {
        tenantId: k.tenantId,
        role: k.role,
        name: k.name,
        prefix: keyPrefix(k.key),
        secretHash: secretDigest(k.key),
      },
    ],
    skipDuplicates: true,
  });
}

/**
 * Who `key` speaks for; undefined for an unknown or revoked key. Looked up on every request (a
 * revoked key is refused at once, by every instance), so with one prepared statement on the
 * pool, not through Prisma: its client costs the event loop several turns a query, which every
 * request would wait for behind other tenants' work.
 */
export async function verifyKey(pool: Pool, key: string): Promise<Principal | undefined> {
  const { rows } = await pool.query<{ tenant_id: string; role: Role; secret_hash: string }>({
    name: 'tcplab-verify-key',
    text: 'SELECT tenant_id, role, secret_hash FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL',
    values: [keyPrefix(key)],
  });
  const row = rows[0];
  if (row === undefined || !digestMatches(row.secret_hash, key)) return undefined;
  return { tenantId: row.tenant_id, role: row.role };
}

/** Creates a key for an existing tenant; answers its row and the secret (shown only once). */
export async function createKey(
  prisma: PrismaClient,
  k: Omit<NewKey, 'key'>,
): Promise<{ row: ApiKey; secret: string }> {
  const secret = generateKey();
  const row = await prisma.apiKey.create({
    data: {
      tenantId: k.tenantId,
      role: k.role,
      name: k.name,
      prefix: keyPrefix(secret),
      secretHash: secretDigest(secret),
    },
  });
  return { row, secret };
}

/** Keys, of one tenant or all, oldest first by tenant. */
export function listKeys(prisma: PrismaClient, tenantId?: string): Promise<ApiKey[]> {
  return prisma.apiKey.findMany({
    where: tenantId === undefined ? {} : { tenantId },
    orderBy: [{ tenantId: 'asc' }, { createdAt: 'asc' }],
  });
}

/** Revokes the keys matching `where` that are not revoked yet; answers how many. */
export async function revokeKeys(
  prisma: PrismaClient,
  where: { id: string } | { prefix: string },
): Promise<number> {
  const { count } = await prisma.apiKey.updateMany({
    where: { ...where, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  return count;
}
