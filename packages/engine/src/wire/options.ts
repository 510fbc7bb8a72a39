/**
 * TCP options (RFC 9293 §3.2): MSS (§3.7.1), window scale (RFC 7323 §2.2), SACK-permitted and
 * SACK (RFC 2018 §2-3), timestamps (RFC 7323 §3.2), NOP and EOL. Unknown kinds are skipped by
 * their length. Parsing never throws: bad bytes give a typed error.
 */
import { err, ok, type Result } from './result.js';
import type { SeqNum } from './seq.js';

export interface SackBlock {
  /** First sequence number of the block. */
  left: SeqNum;
  /** Sequence number just past the block. */
  right: SeqNum;
}

export interface Timestamps {
  /** TSval: the sender's timestamp clock. */
  val: number;
  /** TSecr: the TSval echoed back. */
  ecr: number;
}

export interface TcpOptions {
  mss?: number;
  /** Window scale shift count (RFC 7323 §2.2; meaningful up to 14). */
  wscale?: number;
  sackOk?: boolean;
  sack?: SackBlock[];
  ts?: Timestamps;
}

export type OptionError =
  | { code: 'BAD_OPTION_LENGTH'; kind: number; offset: number }
  | { code: 'TRUNCATED_OPTION'; kind: number; offset: number }
  | { code: 'OPTIONS_TOO_LONG'; length: number };

const Kind = { EOL: 0, NOP: 1, MSS: 2, WSCALE: 3, SACK_OK: 4, SACK: 5, TS: 8 } as const;

/** Largest options area: data offset 15 words minus the 5-word fixed header. */
export const MAX_OPTIONS_LENGTH = 40;

/** Parses an options area; unknown options are skipped, EOL ends the list. */
export function decodeOptions(bytes: Uint8Array): Result<TcpOptions, OptionError> {
  const options: TcpOptions = {};
  let i = 0;
  while (i < bytes.length) {
    const kind = bytes[i] ?? 0;
    if (kind === Kind.EOL) break;
    if (kind === Kind.NOP) {
      i += 1;
      continue;
    }
    if (i + 1 >= bytes.length) return err({ code: 'TRUNCATED_OPTION', kind, offset: i });
    const length = bytes[i + 1] ?? 0;
    if (length < 2) return err({ code: 'BAD_OPTION_LENGTH', kind, offset: i });
    if (i + length > bytes.length) return err({ code: 'TRUNCATED_OPTION', kind, offset: i });
    const body = bytes.subarray(i + 2, i + length);
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const fixed = FIXED_LENGTHS[kind];
    if (fixed !== undefined && length !== fixed) {
      return err({ code: 'BAD_OPTION_LENGTH', kind, offset: i });
    }
    switch (kind) {
      case Kind.MSS:
        options.mss = view.getUint16(0);
        break;
      case Kind.WSCALE:
        options.wscale = view.getUint8(0);
        break;
      case Kind.SACK_OK:
        options.sackOk = true;
        break;
      case Kind.SACK: {
        if ((length - 2) % 8 !== 0 || length === 2) {
          return err({ code: 'BAD_OPTION_LENGTH', kind, offset: i });
        }
        const blocks: SackBlock[] = [];
        for (let b = 0; b < body.length; b += 8) {
          blocks.push({
            left: view.getUint32(b) as SeqNum,
            right: view.getUint32(b + 4) as SeqNum,
          });
        }
        options.sack = blocks;
        break;
      }
      case Kind.TS:
        options.ts = { val: view.getUint32(0), ecr: view.getUint32(4) };
        break;
      default:
        break; // unknown option: skipped by its length (RFC 9293 §3.2, MUST-6)
    }
    i += length;
  }
  return ok(options);
}

const FIXED_LENGTHS: Partial<Record<number, number>> = {
  [Kind.MSS]: 4,
  [Kind.WSCALE]: 3,
  [Kind.SACK_OK]: 2,
  [Kind.TS]: 10,
};

/**
 * Encodes options in the layout Linux uses, each group padded with NOPs to 32 bits:
 * MSS; SACK-permitted + timestamps (or NOP NOP + either); NOP + window scale; NOP NOP + SACK.
 */
export function encodeOptions(options: TcpOptions): Result<Uint8Array, OptionError> {
  const out: number[] = [];
  const u16 = (v: number) => out.push((v >>> 8) & 0xff, v & 0xff);
  const u32 = (v: number) =>
    out.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);

  if (options.mss !== undefined) {
    out.push(Kind.MSS, 4);
    u16(options.mss);
  }
  if (options.sackOk === true && options.ts !== undefined) out.push(Kind.SACK_OK, 2);
  else if (options.sackOk === true) out.push(Kind.NOP, Kind.NOP, Kind.SACK_OK, 2);
  if (options.ts !== undefined) {
    if (options.sackOk !== true) out.push(Kind.NOP, Kind.NOP);
    out.push(Kind.TS, 10);
    u32(options.ts.val);
    u32(options.ts.ecr);
  }
  if (options.wscale !== undefined) out.push(Kind.NOP, Kind.WSCALE, 3, options.wscale & 0xff);
  if (options.sack !== undefined && options.sack.length > 0) {
    out.push(Kind.NOP, Kind.NOP, Kind.SACK, 2 + 8 * options.sack.length);
    for (const block of options.sack) {
      u32(block.left);
      u32(block.right);
    }
  }
  if (out.length > MAX_OPTIONS_LENGTH) return err({ code: 'OPTIONS_TOO_LONG', length: out.length });
  return ok(Uint8Array.from(out));
}

/**
 * The bytes `encodeOptions` writes for `options`, padding included, without encoding them
 * (the simulation sizes every packet on the wire with it).
 */
export function encodedOptionsLength(options: TcpOptions): number {
  let length = 0;
  if (options.mss !== undefined) length += 4;
  if (options.ts !== undefined)
    length += 12; // SACK-permitted shares these 12 bytes
  else if (options.sackOk === true) length += 4;
  if (options.wscale !== undefined) length += 4;
  if (options.sack !== undefined && options.sack.length > 0) length += 4 + 8 * options.sack.length;
  return length;
}

/** tcpdump's rendering: `<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>`, '' when none. */
export function formatOptions(options: TcpOptions): string {
  const parts: string[] = [];
  if (options.mss !== undefined) parts.push(`mss ${options.mss}`);
  if (options.sackOk === true) parts.push('sackOK');
  if (options.ts !== undefined) parts.push(`TS val ${options.ts.val} ecr ${options.ts.ecr}`);
  if (options.wscale !== undefined) parts.push(`wscale ${options.wscale}`);
  if (options.sack !== undefined && options.sack.length > 0) {
    parts.push(
      `sack ${options.sack.length} ${options.sack.map((b) => `{${b.left}:${b.right}}`).join('')}`,
    );
  }
  return parts.length === 0 ? '' : `<${parts.join(',')}>`;
}
