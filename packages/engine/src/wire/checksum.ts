/**
 * The Internet checksum (RFC 1071) of a TCP segment over the IPv4 pseudo-header
 * (RFC 9293 §3.1: source address, destination address, zero, protocol 6, TCP length).
 */

const PROTOCOL_TCP = 6;

/** One's-complement sum of 16-bit big-endian words, starting from `initial`. */
function sumWords(bytes: Uint8Array, initial: number): number {
  let sum = initial;
  const even = bytes.length & ~1;
  for (let i = 0; i < even; i += 2) sum += ((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0);
  if (even < bytes.length) sum += (bytes[even] ?? 0) << 8; // odd length: pad with a zero byte
  return sum;
}

function fold(sum: number): number {
  let folded = sum;
  while (folded > 0xffff) folded = (folded & 0xffff) + Math.floor(folded / 0x10000);
  return folded;
}

/** The Internet checksum of `bytes` alone (RFC 1071). */
export function internetChecksum(bytes: Uint8Array): number {
  return ~fold(sumWords(bytes, 0)) & 0xffff;
}

/** The checksum field value for `segment` (with its checksum field zeroed) from src to dst. */
export function tcpChecksum(src: number, dst: number, segment: Uint8Array): number {
  const pseudo =
    (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + PROTOCOL_TCP + segment.length;
  return ~fold(sumWords(segment, pseudo)) & 0xffff;
}

/** True when `segment` (checksum field included) sums to all ones: it arrived intact. */
export function verifyTcpChecksum(src: number, dst: number, segment: Uint8Array): boolean {
  return tcpChecksum(src, dst, segment) === 0;
}
