/**
 * wire/: TCP segments as bytes, and nothing of connections.
 *
 * Invariants:
 * - Parsing never throws on bad input: every decoder returns `Result` with a typed error
 *   (`TRUNCATED`, `BAD_DATA_OFFSET`, `BAD_OPTION_LENGTH`, `TRUNCATED_OPTION`, `BAD_CHECKSUM`);
 *   encoders refuse out-of-range fields and over-long options the same way.
 * - `decodeSegment(encodeSegment(s))` gives `s` back, options and payload included.
 * - Options are written in Linux's layout (MSS; SACK-permitted + timestamps; NOP + window
 *   scale; SACK blocks), each group NOP-padded to 32 bits; unknown options are skipped by
 *   their length when reading.
 * - Sequence numbers are `SeqNum`: branded, always in [0, 2^32), compared modulo 2^32
 *   (RFC 9293 §3.4), so every comparison is right across the wrap.
 * - No clock, no randomness, no I/O, no Node Buffer: plain Uint8Array and DataView.
 */
export { internetChecksum, tcpChecksum, verifyTcpChecksum } from './checksum.js';
export { ecnBits, ecnCapable, ecnFromTos, type EcnCodepoint } from './ecn.js';
export { Flag, formatFlags, hasFlag, parseFlags, type FlagName } from './flags.js';
export { formatIpv4, parseIpv4, type Ipv4Error } from './ipv4.js';
export {
  decodeOptions,
  encodedOptionsLength,
  encodeOptions,
  formatOptions,
  MAX_OPTIONS_LENGTH,
  type OptionError,
  type SackBlock,
  type TcpOptions,
  type Timestamps,
} from './options.js';
export { err, ok, type Result } from './result.js';
export {
  decodeSegment,
  encodeSegment,
  HEADER_LENGTH,
  type Addresses,
  type DecodeError,
  type EncodeError,
  type TcpSegment,
} from './segment.js';
export {
  seq,
  seqAdd,
  seqDiff,
  seqGe,
  seqGt,
  seqInWindow,
  seqLe,
  seqLt,
  type SeqNum,
} from './seq.js';
