/**
 * The ECN field of the IP header (RFC 3168 §5): the two low bits of the IPv4 TOS byte.
 * Not-ECT is the absence of a codepoint, so a segment without ECN carries no field at all.
 */

/** ECT(0), ECT(1) and CE, as packetdrill writes them (`[ect0]`, `[ect1]`, `[ce]`). */
export type EcnCodepoint = 'ect0' | 'ect1' | 'ce';

/** RFC 3168 §5: Not-ECT 00, ECT(1) 01, ECT(0) 10, CE 11. */
const BITS: Record<EcnCodepoint, number> = { ect1: 0b01, ect0: 0b10, ce: 0b11 };
const CODEPOINTS: (EcnCodepoint | undefined)[] = [undefined, 'ect1', 'ect0', 'ce'];

/** The two ECN bits of the TOS byte for `codepoint` (0 for Not-ECT). */
export function ecnBits(codepoint: EcnCodepoint | undefined): number {
  return codepoint === undefined ? 0 : BITS[codepoint];
}

/** The codepoint in the low two bits of a TOS byte; undefined for Not-ECT. */
export function ecnFromTos(tos: number): EcnCodepoint | undefined {
  return CODEPOINTS[tos & 0b11];
}

/** Whether a router may mark the packet CE instead of dropping it (ECT(0), ECT(1), or CE already). */
export function ecnCapable(codepoint: EcnCodepoint | undefined): boolean {
  return codepoint !== undefined;
}
