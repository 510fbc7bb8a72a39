/**
 * Viewer tokens: the classroom link. One lets its holder watch one session over socket.io until
 * it expires or is revoked; it is a bearer secret like an API key (auth/secrets.ts), stored as
 * a digest, and it opens nothing else.
 */
import type { ViewerToken as ViewerTokenView } from '@tcplab/contract';
import type { PrismaClient, ViewerToken } from '../generated/prisma/client.js';
import { digestMatches, newSecret, secretDigest, secretPrefix } from './secrets.js';

/** What every viewer token starts with; an API key never does (tcplab_ + random). */
export const VIEWER_TOKEN_LABEL = 'tcplab_view_';

/** Who a viewer token speaks for: the session's tenant, read-only, that one session. */
export interface ViewerPrincipal {
  tenantId: string;
  role: 'viewer';
  viewerToken: { id: string; sessionId: string; expiresAt: Date };
}

export function looksLikeViewerToken(secret: string): boolean {
  return secret.startsWith(VIEWER_TOKEN_LABEL);
}

export function viewerTokenView(row: ViewerToken): ViewerTokenView {
  return {
    id: row.id,
    sessionId: row.sessionId,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    ...(row.revokedAt === null ? {} : { revokedAt: row.revokedAt.toISOString() }),
  };
}

/** Mints a token for a session; answers its row and the secret (shown only once). */
export async function createViewerToken(
  prisma: PrismaClient,
  t: { sessionId: string; name: string; expiresAt: Date },
): Promise<{ row: ViewerToken; token: string }> {
  const token = newSecret(VIEWER_TOKEN_LABEL);
  const row = await prisma.viewerToken.create({
    data: { ...t, prefix: secretPrefix(token), secretHash: secretDigest(token) },
  });
  return { row, token };
}

export function listViewerTokens(prisma: PrismaClient, sessionId: string): Promise<ViewerToken[]> {
  return prisma.viewerToken.findMany({ where: { sessionId }, orderBy: { createdAt: 'asc' } });
}

/** Revokes a session's token; answers the row, or undefined when the session has no such token. */
export async function revokeViewerToken(
  prisma: PrismaClient,
  sessionId: string,
  id: string,
  now: Date,
): Promise<ViewerToken | undefined> {
  const row = await prisma.viewerToken.findFirst({ where: { id, sessionId } });
  if (row === null) return undefined;
  if (row.revokedAt !== null) return row;
  return prisma.viewerToken.update({ where: { id }, data: { revokedAt: now } });
}

export type ViewerTokenCheck =
  | { ok: true; principal: ViewerPrincipal }
  | { ok: false; reason: 'unknown' | 'revoked' | 'expired'; expiresAt?: Date };

/** Whether `token` may watch now, and whom it speaks for. */
export async function verifyViewerToken(
  prisma: PrismaClient,
  token: string,
  now: Date,
): Promise<ViewerTokenCheck> {
  const row = await prisma.viewerToken.findUnique({
    where: { prefix: secretPrefix(token) },
    include: { session: { select: { tenantId: true } } },
  });
  if (row === null || !digestMatches(row.secretHash, token))
    return { ok: false, reason: 'unknown' };
  if (row.revokedAt !== null) return { ok: false, reason: 'revoked' };
  if (row.expiresAt <= now) return { ok: false, reason: 'expired', expiresAt: row.expiresAt };
  return {
    ok: true,
    principal: {
      tenantId: row.session.tenantId,
      role: 'viewer',
      viewerToken: { id: row.id, sessionId: row.sessionId, expiresAt: row.expiresAt },
    },
  };
}
