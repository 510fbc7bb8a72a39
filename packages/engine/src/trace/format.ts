/** Renders segment events as classic tcpdump lines: `S 1000:1000(0) win 65535 <mss 1460>`. */
import { formatOptions } from '../wire/options.js';
import type { TraceEvent } from './events.js';

type SegmentEvent = Extract<TraceEvent, { kind: 'segment' }>;

/**
 * The segment part of a tcpdump line (no addresses, no time); an ECN codepoint comes first the
 * way packetdrill writes it: `[ect0] P. 1:1001(1000) ack 1`.
 */
export function formatSegment(
  e: Pick<SegmentEvent, 'flags' | 'seq' | 'ack' | 'len' | 'window' | 'options'> &
    Partial<Pick<SegmentEvent, 'ecn'>>,
): string {
  const parts = e.ecn === undefined ? [e.flags] : [`[${e.ecn}]`, e.flags];
  const syn = e.flags.includes('S');
  const fin = e.flags.includes('F');
  if (e.len > 0 || syn || fin || e.flags.includes('R')) {
    parts.push(`${e.seq}:${(e.seq + e.len) % 0x1_0000_0000}(${e.len})`);
  }
  if (e.flags.includes('.')) parts.push(`ack ${e.ack}`);
  parts.push(`win ${e.window}`);
  const options = formatOptions(e.options);
  if (options !== '') parts.push(options);
  return parts.join(' ');
}

/** `10.0.0.1.49152 > 10.0.0.2.80: S 1000:1000(0) win 65535 <mss 1460>`, with the fate if not delivered. */
export function formatSegmentLine(e: SegmentEvent): string {
  const line = `${e.src.address}.${e.src.port} > ${e.dst.address}.${e.dst.port}: ${formatSegment(e)}`;
  return e.fate === 'delivered'
    ? line
    : `${line} [${e.fate}${e.reason === undefined ? '' : `: ${e.reason}`}]`;
}
