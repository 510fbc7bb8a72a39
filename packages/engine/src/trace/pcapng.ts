/**
 * A session's segments as a pcapng file (the format of draft-ietf-opsawg-pcapng, which
 * Wireshark and tshark read): a Section Header Block, one Interface Description Block per link
 * (a pair of hosts), and one Enhanced Packet Block per segment holding IPv4 + TCP bytes with
 * correct checksums, timestamped in virtual microseconds when the segment was sent.
 *
 * Written by hand: the format is a few small blocks, and no library writes raw IPv4 packets
 * from a trace without pulling in a capture stack.
 *
 * - The trace keeps each segment's length, not its bytes: payloads are written as zeros.
 * - Every segment is written on its sender's side, as sent. One the link dropped carries a
 *   comment with the reason; a corrupted one has its TCP checksum inverted (what the receiver
 *   saw, and why it dropped it) and a comment saying so.
 * - The ECN codepoint goes in the low two bits of the IPv4 TOS byte (RFC 3168 §5), as sent; a
 *   packet the link's queue marked CE keeps its sent codepoint and carries a comment.
 * - Deterministic: IPv4 identification counts the packets of each link from 1.
 */
import { internetChecksum } from '../wire/checksum.js';
import { parseFlags } from '../wire/flags.js';
import { ecnBits } from '../wire/ecn.js';
import { parseIpv4 } from '../wire/ipv4.js';
import { encodeSegment } from '../wire/segment.js';
import type { SeqNum } from '../wire/seq.js';
import type { TraceEvent } from './events.js';

type SegmentEvent = Extract<TraceEvent, { kind: 'segment' }>;

/** What a packet needs of a segment event. */
export type PcapSegment = Pick<
  SegmentEvent,
  | 'timeUs'
  | 'src'
  | 'dst'
  | 'flags'
  | 'seq'
  | 'ack'
  | 'window'
  | 'len'
  | 'options'
  | 'fate'
  | 'reason'
> &
  Partial<Pick<SegmentEvent, 'ecn'>>;

const SECTION_HEADER = 0x0a0d0d0a;
const INTERFACE_DESCRIPTION = 0x00000001;
const ENHANCED_PACKET = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** LINKTYPE_RAW: each packet starts with its IPv4 header. */
const LINKTYPE_RAW = 101;
const OPT_END = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;
/** if_tsresol 6: timestamps count microseconds, the engine's unit. */
const MICROSECONDS = 6;
const IPV4_HEADER = 20;
const TTL = 64;
const PROTOCOL_TCP = 6;
const DONT_FRAGMENT = 0x4000;

const encoder = new TextEncoder();

/** A block's bytes, little-endian, built front to back. */
class BlockWriter {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private room(more: number): void {
    if (this.length + more <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + more));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  u16(value: number): void {
    this.room(2);
    this.view.setUint16(this.length, value, true);
    this.length += 2;
  }

  u32(value: number): void {
    this.room(4);
    this.view.setUint32(this.length, value >>> 0, true);
    this.length += 4;
  }

  /** `data`, then zeros up to a multiple of 4 bytes. */
  padded(data: Uint8Array): void {
    const size = (data.length + 3) & ~3;
    this.room(size);
    this.bytes.set(data, this.length);
    this.bytes.fill(0, this.length + data.length, this.length + size);
    this.length += size;
  }

  option(code: number, value: Uint8Array): void {
    this.u16(code);
    this.u16(value.length);
    this.padded(value);
  }

  endOfOptions(): void {
    this.u16(OPT_END);
    this.u16(0);
  }

  /** The whole block: type, total length, this body, total length again. */
  block(type: number): Uint8Array {
    const total = this.length + 12;
    const out = new Uint8Array(total);
    const view = new DataView(out.buffer);
    view.setUint32(0, type, true);
    view.setUint32(4, total, true);
    out.set(this.bytes.subarray(0, this.length), 8);
    view.setUint32(total - 4, total, true);
    return out;
  }
}

function sectionHeader(): Uint8Array {
  const w = new BlockWriter();
  w.u32(BYTE_ORDER_MAGIC);
  w.u16(1); // major version
  w.u16(0); // minor version
  w.u32(0xffffffff); // section length: not given (-1, 64 bits)
  w.u32(0xffffffff);
  w.option(SHB_USERAPPL, encoder.encode('tcplab'));
  w.endOfOptions();
  return w.block(SECTION_HEADER);
}

function interfaceDescription(name: string): Uint8Array {
  const w = new BlockWriter();
  w.u16(LINKTYPE_RAW);
  w.u16(0); // reserved
  w.u32(0); // snap length: none
  w.option(IF_NAME, encoder.encode(name));
  w.option(IF_TSRESOL, new Uint8Array([MICROSECONDS]));
  w.endOfOptions();
  return w.block(INTERFACE_DESCRIPTION);
}

function enhancedPacket(
  interfaceId: number,
  timeUs: number,
  packet: Uint8Array,
  comment: string | undefined,
): Uint8Array {
  const w = new BlockWriter();
  w.u32(interfaceId);
  w.u32(Math.floor(timeUs / 2 ** 32));
  w.u32(timeUs % 2 ** 32);
  w.u32(packet.length); // captured
  w.u32(packet.length); // on the wire
  w.padded(packet);
  if (comment !== undefined) {
    w.option(OPT_COMMENT, encoder.encode(comment));
    w.endOfOptions();
  }
  return w.block(ENHANCED_PACKET);
}

function address(text: string): number {
  const parsed = parseIpv4(text);
  if (!parsed.ok) throw new RangeError(`${text} is not an IPv4 address`);
  return parsed.value;
}

/**
 * The IPv4 header (RFC 791 §3.1) for a TCP segment of `tcpLength` bytes; `tos` is the TOS byte
 * (DSCP 0, the ECN field in its low two bits).
 */
function ipv4Header(
  src: number,
  dst: number,
  tcpLength: number,
  id: number,
  tos: number,
): Uint8Array {
  const header = new Uint8Array(IPV4_HEADER);
  const view = new DataView(header.buffer);
  view.setUint8(0, 0x45); // version 4, header of 5 words
  view.setUint8(1, tos);
  view.setUint16(2, IPV4_HEADER + tcpLength);
  view.setUint16(4, id & 0xffff);
  view.setUint16(6, DONT_FRAGMENT);
  view.setUint8(8, TTL);
  view.setUint8(9, PROTOCOL_TCP);
  view.setUint32(12, src);
  view.setUint32(16, dst);
  view.setUint16(10, internetChecksum(header));
  return header;
}

/** The packet as it left its sender: IPv4 header, TCP header with options, zero payload. */
function packetOf(segment: PcapSegment, id: number): Uint8Array {
  const src = address(segment.src.address);
  const dst = address(segment.dst.address);
  const flags = parseFlags(segment.flags);
  if (flags === undefined) throw new RangeError(`"${segment.flags}" are not tcpdump flags`);
  const tcp = encodeSegment(
    {
      srcPort: segment.src.port,
      dstPort: segment.dst.port,
      seq: segment.seq as SeqNum,
      ack: segment.ack as SeqNum,
      flags,
      window: segment.window,
      urgent: 0,
      options: segment.options,
      payload: new Uint8Array(segment.len),
    },
    { src, dst },
  );
  if (!tcp.ok) throw new RangeError(`segment cannot be encoded: ${tcp.error.code}`);
  if (segment.fate === 'corrupted') {
    const view = new DataView(tcp.value.buffer, tcp.value.byteOffset);
    view.setUint16(16, ~view.getUint16(16) & 0xffff);
  }
  const packet = new Uint8Array(IPV4_HEADER + tcp.value.length);
  packet.set(ipv4Header(src, dst, tcp.value.length, id, ecnBits(segment.ecn)));
  packet.set(tcp.value, IPV4_HEADER);
  return packet;
}

function commentOf(segment: PcapSegment): string | undefined {
  const why = segment.reason === undefined ? '' : `: ${segment.reason}`;
  switch (segment.fate) {
    case 'delivered':
      return undefined;
    case 'dropped':
      return `dropped by the link${why}`;
    case 'corrupted':
      return `corrupted on the link${why}: the receiver's checksum fails, it drops the segment`;
    case 'duplicated':
      return `duplicated by the link${why}: the receiver gets it twice`;
    case 'reordered':
      return `reordered by the link${why}: held back behind later segments`;
    case 'marked':
      return `marked CE by the link${why}: the receiver gets it with CE instead of losing it`;
  }
}

/** The link a segment is on: its two hosts, lower address first. */
function linkName(segment: PcapSegment): string {
  const [a, b] = [segment.src.address, segment.dst.address].sort((x, y) => address(x) - address(y));
  return `${a ?? ''} <-> ${b ?? ''}`;
}

/**
 * Writes a pcapng file a piece at a time, for traces too long to hold at once: `start()`, then
 * `segment()` for each segment in trace order; each answers the bytes that come next.
 */
export class PcapngWriter {
  private readonly links = new Map<string, { id: number; packets: number }>();

  /** The section header: the file's first bytes. */
  start(): Uint8Array {
    return sectionHeader();
  }

  /** The packet of `segment`, after its link's interface description the first time. */
  segment(segment: PcapSegment): Uint8Array {
    const name = linkName(segment);
    let link = this.links.get(name);
    let description: Uint8Array | undefined;
    if (link === undefined) {
      link = { id: this.links.size, packets: 0 };
      this.links.set(name, link);
      description = interfaceDescription(name);
    }
    link.packets += 1;
    const packet = packetOf(segment, link.packets);
    const block = enhancedPacket(link.id, segment.timeUs, packet, commentOf(segment));
    return description === undefined ? block : concat([description, block]);
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, b) => sum + b.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The segments, in the order given (the trace's), as one pcapng file. */
export function toPcapng(segments: readonly PcapSegment[]): Uint8Array {
  const writer = new PcapngWriter();
  return concat([writer.start(), ...segments.map((segment) => writer.segment(segment))]);
}
