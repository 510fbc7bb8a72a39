/**
 * Segments as tcpdump-like lines, `client > server: S. 0:0(0) ack 1 win 65535 <mss 1460>`, with
 * why the engine sent it when that is special (` (retransmission)`, ` (duplicate-ack)`, ...) and
 * its fate when the link did not deliver it (` [dropped, fault lostFin]`); and the patterns
 * scenarios expect them with: `*` matches anything within a line, a line `...` any number of
 * segments, and `@1000 ` in front also requires the time (ms) it was sent.
 */
import type { Segment, SegmentLine } from '@tcplab/contract';
import { formatSegment, type TcpOptions } from '@tcplab/engine';

/** A segment as the trace lists it (a `segment` event, or an item of GET /segments). */
export type SegmentEvent = Pick<
  Segment,
  | 'eventId'
  | 'timeMs'
  | 'src'
  | 'dst'
  | 'flags'
  | 'seq'
  | 'ack'
  | 'window'
  | 'len'
  | 'options'
  | 'ecn'
  | 'fate'
  | 'reason'
  | 'label'
>;

export interface LineOptions {
  /** The scenario's name for each address and port (`10.0.0.1:49152` -> `client`). */
  names: ReadonlyMap<string, string>;
  /** Number seq and ack from each side's ISN (as tcpdump and Wireshark do) or as on the wire. */
  sequence: 'relative' | 'absolute';
  /** The scenario's name for each fault rule id (`f1` -> `lostFin`). */
  faults?: ReadonlyMap<string, string>;
}

export interface FormattedSegment {
  timeMs: number;
  /** The whole line: `client > server: S 0:0(0) ... [dropped, loss]`. */
  line: string;
  /** The segment part alone (an arrow's label): `S 0:0(0) win 65535 <mss 1460>`. */
  segment: string;
  /** `[dropped, loss]`, or '' when delivered. */
  fate: string;
  /** The sequence and acknowledgment numbers as the line shows them (relative, when it is). */
  seq: number;
  ack: number;
}

const MOD = 0x1_0000_0000;
const rel = (value: number, base: number | undefined) =>
  base === undefined ? value : (value - base + MOD) % MOD;

/** `addr:port`, the key of the names map. */
export const addressKey = (a: { address: string; port: number }) => `${a.address}:${a.port}`;

function partyName(a: { address: string; port: number }, names: ReadonlyMap<string, string>) {
  return names.get(addressKey(a)) ?? `${a.address}.${a.port}`;
}

/**
 * Relative numbering, per direction of a four-tuple: from the direction's first SYN, and again
 * from a SYN that comes after the conversation ended, as a new connection on the same ports
 * does (or a stale SYN of an old one). It ends with a FIN each way, or a RST at the sequence
 * number its sender was at (one elsewhere, like a forged one a challenge ACK answers, ends
 * nothing). ack and SACK blocks count from the other direction's ISN.
 */
class Numbering {
  private readonly isn = new Map<string, number>();
  /** The sequence number after the last one each direction used. */
  private readonly next = new Map<string, number>();
  private readonly ended = new Set<string>();
  private readonly fins = new Set<string>();

  see(s: SegmentEvent, forward: string, backward: string): void {
    const syn = s.flags.includes('S');
    const fin = s.flags.includes('F');
    if (syn && (!this.isn.has(forward) || this.ended.has(forward))) {
      this.isn.set(forward, s.seq);
      this.next.delete(forward);
      this.ended.delete(forward);
      this.fins.delete(forward);
    }
    if (s.flags.includes('R')) {
      const at = this.next.get(forward);
      if (at === undefined || at === s.seq) this.ended.add(forward).add(backward);
      return;
    }
    const end = (s.seq + s.len + (syn ? 1 : 0) + (fin ? 1 : 0)) % MOD;
    const at = this.next.get(forward);
    if (at === undefined || (end - at + MOD) % MOD < MOD / 2) this.next.set(forward, end);
    if (fin) this.fins.add(forward);
    if (this.fins.has(forward) && this.fins.has(backward)) this.ended.add(forward).add(backward);
  }

  base(direction: string): number | undefined {
    return this.isn.get(direction);
  }
}

/** Formats segments in order, numbered as `options.sequence` says. */
export function formatSegments(
  segments: readonly SegmentEvent[],
  options: LineOptions,
): FormattedSegment[] {
  return segments.map(segmentFormatter(options));
}

/**
 * A formatter for a stream of segments, one at a time and in order (a live ladder): it keeps
 * the numbering between calls. `options.names` may grow as endpoints appear.
 */
export function segmentFormatter(
  options: LineOptions,
): (segment: SegmentEvent) => FormattedSegment {
  const numbering = new Numbering();
  return (s) => {
    const forward = `${addressKey(s.src)}>${addressKey(s.dst)}`;
    const backward = `${addressKey(s.dst)}>${addressKey(s.src)}`;
    // A SYN that starts numbering counts from itself; what a segment ends affects later ones.
    const relative = options.sequence === 'relative';
    if (relative) numbering.see(s, forward, backward);
    const own = relative ? numbering.base(forward) : undefined;
    const peer = relative ? numbering.base(backward) : undefined;
    const sack = s.options.sack?.map((b) => ({
      left: rel(b.left, peer),
      right: rel(b.right, peer),
    }));
    const shown = {
      ...s,
      seq: rel(s.seq, own),
      ack: rel(s.ack, peer),
      options: (sack === undefined ? s.options : { ...s.options, sack }) as TcpOptions,
    };
    const segment = describe(shown, s.label);
    let line = `${partyName(s.src, options.names)} > ${partyName(s.dst, options.names)}: ${segment}`;
    let fate = '';
    if (s.fate !== 'delivered') {
      const reason = s.reason?.replace(/^fault (f\d+)$/, (all, id: string) => {
        const name = options.faults?.get(id);
        return name === undefined ? all : `fault ${name}`;
      });
      fate = `[${s.fate}${reason === undefined ? '' : `, ${reason}`}]`;
      line += ` ${fate}`;
    }
    return { timeMs: s.timeMs, line, segment, fate, seq: shown.seq, ack: shown.ack };
  };
}

/**
 * The segment part of a line: tcpdump's, and why it was sent when the engine says. A probe
 * shows its sequence number, the one just below what the peer expects, which is the trick.
 */
function describe(
  shown: Parameters<typeof formatSegment>[0],
  label: SegmentEvent['label'],
): string {
  let text = formatSegment(shown);
  if ((label === 'keep-alive' || label === 'window-probe') && shown.len === 0) {
    text = text.replace(/^(\S+) /, `$1 ${shown.seq}:${shown.seq}(0) `);
  }
  return label === undefined ? text : `${text} (${label})`;
}

/** A scenario's segment line as one string (the map form `{src > dst: rest}` joined). */
export function lineText(line: SegmentLine): string {
  if (typeof line === 'string') return line;
  const [key, value] = Object.entries(line)[0] ?? ['', ''];
  return `${key}: ${value}`;
}

const GAP = '...';

interface Pattern {
  text: string;
  gap: boolean;
  timeMs: number | undefined;
  regex: RegExp;
}

const squash = (s: string) => s.trim().replace(/\s+/g, ' ');

function compile(text: string): Pattern {
  const trimmed = squash(text);
  if (trimmed === GAP) return { text: trimmed, gap: true, timeMs: undefined, regex: /^/ };
  const timed = /^@(\d+(?:\.\d+)?)\s+(.*)$/.exec(trimmed);
  const body = timed?.[2] ?? trimmed;
  const source = body
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return {
    text: trimmed,
    gap: false,
    timeMs: timed?.[1] === undefined ? undefined : Number(timed[1]),
    regex: new RegExp(`^${source}$`),
  };
}

function matches(p: Pattern, s: Pick<FormattedSegment, 'timeMs' | 'line'>): boolean {
  return p.regex.test(s.line) && (p.timeMs === undefined || p.timeMs === s.timeMs);
}

export type SequenceMatch =
  | { ok: true }
  | {
      ok: false;
      /** The 1-based position of the first segment that could not be matched (or one past). */
      index: number;
      expected: string;
      actual: string;
    };

/** Matches every segment against the patterns, in order; `...` spans any run of segments. */
export function matchSegments(
  patterns: readonly SegmentLine[],
  actual: readonly Pick<FormattedSegment, 'timeMs' | 'line'>[],
): SequenceMatch {
  const compiled = patterns.map((p) => compile(lineText(p)));
  // The furthest point any alignment reached, for the report: the pattern it could not meet.
  // Recursion goes one level per pattern, never per segment.
  let furthest = { segment: 0, pattern: 0 };
  const failed = new Set<number>();
  const key = (p: number, s: number) => p * (actual.length + 1) + s;

  const from = (p: number, s: number): boolean => {
    if (failed.has(key(p, s))) return false;
    if (s > furthest.segment || (s === furthest.segment && p > furthest.pattern)) {
      furthest = { segment: s, pattern: p };
    }
    const pattern = compiled[p];
    let ok: boolean;
    if (pattern === undefined) ok = s === actual.length;
    else if (pattern.gap) {
      // A loop, not a recursion per segment: a gap may span a bulk transfer's thousands.
      ok = false;
      for (let t = s; t <= actual.length && !ok; t++) ok = from(p + 1, t);
    } else {
      const segment = actual[s];
      ok = segment !== undefined && matches(pattern, segment) && from(p + 1, s + 1);
    }
    if (!ok) failed.add(key(p, s));
    return ok;
  };

  if (from(0, 0)) return { ok: true };
  const pattern = compiled.slice(furthest.pattern).find((p) => !p.gap);
  const segment = actual[furthest.segment];
  return {
    ok: false,
    index: furthest.segment + 1,
    expected: pattern?.text ?? '(no more segments)',
    actual: segment === undefined ? '(no more segments)' : `@${segment.timeMs} ${segment.line}`,
  };
}
