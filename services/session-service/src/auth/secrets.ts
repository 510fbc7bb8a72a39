/**
 * Bearer secrets (API keys, viewer tokens). A secret is 256 random bits shown once; the database
 * keeps its SHA-256 (there is nothing to brute-force in 256 random bits, so a fast hash is
 * enough) and a `prefix`, the first 16 hex digits of that hash, which finds the row without
 * revealing anything usable.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new secret: `label` (which says what it is) and 256 random bits. */
export function newSecret(label: string): string {
  return label + randomBytes(32).toString('base64url');
}

export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** The public part of a secret's row: what lists show and what revoking names. */
export function secretPrefix(secret: string): string {
  return secretDigest(secret).slice(0, 16);
}

/** Whether `secret` is the one whose digest was stored, compared in constant time. */
export function digestMatches(storedDigest: string, secret: string): boolean {
  const expected = Buffer.from(storedDigest, 'hex');
  const actual = Buffer.from(secretDigest(secret), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
