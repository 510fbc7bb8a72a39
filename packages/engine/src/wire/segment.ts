/**
 * The TCP header codec (RFC 9293 §3.1). Decoding checks lengths before reading and, given the
 * IPv4 addresses, the checksum; it returns a typed error for bad bytes and never throws.
 */
import { tcpChecksum } from './checksum.js';
import type { EcnCodepoint } from './ecn.js';
import { decodeOptions, encodeOptions, type OptionError, type TcpOptions } from './options.js';
import { err, ok, type Result } from './result.js';
import type { SeqNum } from './seq.js';

export const HEADER_LENGTH = 20;

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  seq: SeqNum;
  ack: SeqNum;
  /** Control bits, see `Flag`. */
  flags: number;
  /** The window field as sent (unscaled). */
  window: number;
  urgent: number;
  options: TcpOptions;
  payload: Uint8Array;
  /**
   * The IP header's ECN field the segment travels with (RFC 3168 §5); absent for Not-ECT. Not
   * part of the TCP header: the codec neither writes nor reads it.
   */
  ecn?: EcnCodepoint;
}

export interface Addresses {
  src: number;
  dst: number;
}

export type DecodeError =
  | { code: 'TRUNCATED'; length: number }
  | { code: 'BAD_DATA_OFFSET'; dataOffset: number; length: number }
  | { code: 'BAD_CHECKSUM'; checksum: number; expected: number }
  | OptionError;

export type EncodeError =
  { code: 'FIELD_OUT_OF_RANGE'; field: keyof TcpSegment; value: number } | OptionError;

/** Parses a TCP segment; with `addresses`, also verifies the checksum over the pseudo-header. */
export function decodeSegment(
  bytes: Uint8Array,
  addresses?: Addresses,
): Result<TcpSegment, DecodeError> {
  if (bytes.length < HEADER_LENGTH) return err({ code: 'TRUNCATED', length: bytes.length });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = view.getUint8(12) >>> 4;
  const headerLength = dataOffset * 4;
  if (dataOffset < 5 || headerLength > bytes.length) {
    return err({ code: 'BAD_DATA_OFFSET', dataOffset, length: bytes.length });
  }
  if (addresses !== undefined) {
    const checksum = view.getUint16(16);
    const zeroed = bytes.slice();
    zeroed[16] = 0;
    zeroed[17] = 0;
    const expected = tcpChecksum(addresses.src, addresses.dst, zeroed);
    if (checksum !== expected) return err({ code: 'BAD_CHECKSUM', checksum, expected });
  }
  const options = decodeOptions(bytes.subarray(HEADER_LENGTH, headerLength));
  if (!options.ok) return options;
  return ok({
    srcPort: view.getUint16(0),
    dstPort: view.getUint16(2),
    seq: view.getUint32(4) as SeqNum,
    ack: view.getUint32(8) as SeqNum,
    flags: view.getUint8(13),
    window: view.getUint16(14),
    urgent: view.getUint16(18),
    options: options.value,
    payload: bytes.slice(headerLength),
  });
}

const RANGES: [keyof TcpSegment, number][] = [
  ['srcPort', 0xffff],
  ['dstPort', 0xffff],
  ['seq', 0xffff_ffff],
  ['ack', 0xffff_ffff],
  ['flags', 0xff],
  ['window', 0xffff],
  ['urgent', 0xffff],
];

/** Serialises `segment` with its checksum for the pseudo-header of `addresses`. */
export function encodeSegment(
  segment: TcpSegment,
  addresses: Addresses,
): Result<Uint8Array, EncodeError> {
  for (const [field, max] of RANGES) {
    const value = segment[field] as number;
    if (!Number.isInteger(value) || value < 0 || value > max) {
      return err({ code: 'FIELD_OUT_OF_RANGE', field, value });
    }
  }
  const options = encodeOptions(segment.options);
  if (!options.ok) return options;
  const padded = (options.value.length + 3) & ~3; // pad to 32 bits with EOL (zero) bytes
  const headerLength = HEADER_LENGTH + padded;
  const bytes = new Uint8Array(headerLength + segment.payload.length);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, segment.srcPort);
  view.setUint16(2, segment.dstPort);
  view.setUint32(4, segment.seq);
  view.setUint32(8, segment.ack);
  view.setUint8(12, (headerLength / 4) << 4);
  view.setUint8(13, segment.flags);
  view.setUint16(14, segment.window);
  view.setUint16(18, segment.urgent);
  bytes.set(options.value, HEADER_LENGTH);
  bytes.set(segment.payload, headerLength);
  view.setUint16(16, tcpChecksum(addresses.src, addresses.dst, bytes));
  return ok(bytes);
}
