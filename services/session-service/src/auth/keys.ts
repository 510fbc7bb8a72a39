/**
 * API keys. A key is a random secret shown once; the database keeps its SHA-256 (a key is 256
 * random bits, so a fast hash is enough: there is nothing to brute-force) and a `prefix`, the
 * first 16 hex digits of that hash, which finds the row without revealing anything usable.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKey, ApiKeyRole, PrismaClient } from '../generated/prisma/client.js';

export type Role = ApiKeyRole;
export const ROLES: readonly Role[] = ['admin', 'instructor', 'viewer'];

export interface Principal {
  tenantId: string;
  role: Role;
}

const KEY_PREFIX = 'tcplab_';

export function generateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

function digest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The public part of a key's row: what lists show and what revoking names. */
export function keyPrefix(key: string): string {
  return digest(key).slice(0, 16);
}

export interface NewKey {
  key: string;
  tenantId: string;
  role: Role;
  name: string;
}

/** Stores `key` (its hash) for a tenant, creating the tenant if needed; idempotent. */
export async function ensureKey(prisma: PrismaClient, k: NewKey): Promise<void> {
  await prisma.tenant.upsert({
    where: { id: k.tenantId },
    create: { id: k.tenantId, name: k.tenantId },
    update: {},
  });
  await prisma.apiKey.upsert({
    where: { prefix: keyPrefix(k.key) },
    create: {
      tenantId: k.tenantId,
      role: k.role,
      name: k.name,
      prefix: keyPrefix(k.key),
      secretHash: digest(k.key),
    },
    update: {},
  });
}

/** Who `key` speaks for; undefined for an unknown or revoked key. */
export async function verifyKey(prisma: PrismaClient, key: string): Promise<Principal | undefined> {
  const row = await prisma.apiKey.findUnique({ where: { prefix: keyPrefix(key) } });
  if (row === null || row.revokedAt !== null) return undefined;
  const expected = Buffer.from(row.secretHash, 'hex');
  const actual = Buffer.from(digest(key), 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
  return { tenantId: row.tenantId, role: row.role };
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
      secretHash: digest(secret),
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
