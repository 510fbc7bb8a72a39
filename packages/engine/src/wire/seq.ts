/**
 * TCP sequence numbers: unsigned 32-bit values compared modulo 2^32 (RFC 9293 §3.4).
 *
 * `SeqNum` is branded so a byte count or a port cannot be passed where a sequence number is
 * expected; every operation returns a value in [0, 2^32). Comparisons follow the RFC's
 * "serial number" reading: `a` is before `b` when the forward distance from `a` to `b` is
 * less than 2^31, so they stay correct across the wrap from 2^32 - 1 to 0.
 */

declare const seqNumBrand: unique symbol;

/** A TCP sequence or acknowledgment number, 0 to 2^32 - 1. */
export type SeqNum = number & { readonly [seqNumBrand]: true };

const MODULUS = 0x1_0000_0000;
const HALF = 0x8000_0000;

/** Reduces any integer to a sequence number (modulo 2^32, always non-negative). */
export function seq(value: number): SeqNum {
  if (!Number.isInteger(value))
    throw new RangeError(`sequence number must be an integer: ${value}`);
  return (((value % MODULUS) + MODULUS) % MODULUS) as SeqNum;
}

/** `a + n` modulo 2^32; `n` may be negative. */
export function seqAdd(a: SeqNum, n: number): SeqNum {
  // The common case, an integer step that stays in range or wraps once, without division.
  const sum = a + n;
  if (Number.isInteger(sum) && sum > -MODULUS && sum < 2 * MODULUS) {
    return (sum < 0 ? sum + MODULUS : sum >= MODULUS ? sum - MODULUS : sum) as SeqNum;
  }
  return seq(sum);
}

/** The signed distance from `a` to `b` in (-2^31, 2^31]: how far `b` is ahead of `a`. */
export function seqDiff(b: SeqNum, a: SeqNum): number {
  // Both lie in [0, 2^32), so their difference is in (-2^32, 2^32): one correction at most.
  const d = b - a;
  return d > HALF ? d - MODULUS : d <= -HALF ? d + MODULUS : d;
}

/** `a < b` in sequence space (RFC 9293 §3.4: "=<" and "<" are modulo 2^32). */
export function seqLt(a: SeqNum, b: SeqNum): boolean {
  return seqDiff(b, a) > 0;
}

/** `a =< b` in sequence space. */
export function seqLe(a: SeqNum, b: SeqNum): boolean {
  return seqDiff(b, a) >= 0;
}

/** `a > b` in sequence space. */
export function seqGt(a: SeqNum, b: SeqNum): boolean {
  return seqLt(b, a);
}

/** `a >= b` in sequence space. */
export function seqGe(a: SeqNum, b: SeqNum): boolean {
  return seqLe(b, a);
}

/**
 * `low =< x < high` in sequence space: the shape of every window test in RFC 9293 §3.10.7.4
 * (for example RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND). An empty range contains nothing.
 */
export function seqInWindow(x: SeqNum, low: SeqNum, high: SeqNum): boolean {
  return seqLe(low, x) && seqLt(x, high);
}
