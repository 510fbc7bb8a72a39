/**
 * The caller's identity on a request one instance forwards to another (cluster/forwarding.ts):
 * who it acts for, as the first instance verified it, in a header signed with a key the
 * instances share through their database (`cluster_keys`, made by the first instance to need
 * it). The owner so trusts the first instance's check instead of looking the API key up again,
 * and nobody without the key can claim an identity: the signature covers the method and URL
 * (a header copied onto another request does not verify) and lapses after IDENTITY_TTL_MS.
 * The balancer drops the header from outside requests as well (docker/haproxy.cfg).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import type { Role } from '../auth/keys.js';

export const FORWARDED_HEADER = 'x-tcplab-forwarded';

/** How long a signed identity verifies: one forwarding, with the instances' clocks apart. */
const IDENTITY_TTL_MS = 30_000;

export interface ForwardedIdentity {
  tenantId: string;
  role: Role;
  /** The rate-limit budget the request drew on where it came in. */
  budget: string;
  /** How many times the request was forwarded, this time included. */
  hops: number;
}

interface Signed extends ForwardedIdentity {
  method: string;
  url: string;
  /** Until when it verifies (Unix ms). */
  until: number;
}

/** Signs `identity` for one request (`method`, `url`). */
export function signIdentity(
  key: Buffer,
  identity: ForwardedIdentity,
  request: { method: string; url: string },
  nowMs: number,
): string {
  const signed: Signed = { ...identity, ...request, until: nowMs + IDENTITY_TTL_MS };
  const body = Buffer.from(JSON.stringify(signed)).toString('base64url');
  return `${body}.${mac(key, body)}`;
}

/** The identity a header carries, if it is signed with `key` for this very request. */
export function verifyIdentity(
  key: Buffer,
  header: string,
  request: { method: string; url: string },
  nowMs: number,
): ForwardedIdentity | undefined {
  const [body, signature, extra] = header.split('.');
  if (body === undefined || signature === undefined || extra !== undefined) return undefined;
  const expected = Buffer.from(mac(key, body));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let signed: Signed;
  try {
    signed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Signed;
  } catch {
    return undefined;
  }
  if (signed.method !== request.method || signed.url !== request.url) return undefined;
  if (!(signed.until > nowMs)) return undefined;
  const { tenantId, role, budget, hops } = signed;
  return { tenantId, role, budget, hops };
}

function mac(key: Buffer, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}

/** The instances' shared forwarding key: made once by whichever instance needs it first. */
export async function forwardingKey(pool: pg.Pool): Promise<Buffer> {
  await pool.query(
    `INSERT INTO cluster_keys (name, secret) VALUES ('forwarding', $1) ON CONFLICT DO NOTHING`,
    [randomBytes(32)],
  );
  const result = await pool.query<{ secret: Buffer }>(
    `SELECT secret FROM cluster_keys WHERE name = 'forwarding'`,
  );
  const row = result.rows[0];
  if (row === undefined) throw new Error('the forwarding key was not stored');
  return row.secret;
}
