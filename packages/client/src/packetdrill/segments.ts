/**
 * The segment lines of a script: `<` lines become injected segments from the remote address,
 * `>` lines are compared with the segments the endpoint sent. Numbering follows packetdrill:
 * the script's own sequence numbers for the remote end, ours counted from our ISN (the
 * script's `>` SYN says which number that is). TS val in `>` lines is not compared (our clock
 * is not the script's); TS ecr in `<` lines names a TS val of ours by the script's number for
 * it, as packetdrill maps it.
 */
import type { Inject } from '@tcplab/contract';
import type { SegmentEvent } from '../scenario/lines.js';
import { LOCAL_ADDRESS, REMOTE_ADDRESS } from './linux.js';
import type { ScriptSegment } from './parse.js';

const MOD = 0x1_0000_0000;

/** What differs between a `>` line and what was sent. */
export class Mismatch extends Error {}

export class ScriptWire {
  /** Our ISN less the script's number for it. */
  offset: number | undefined;
  /** --strict_segments: a `>` line matches one segment, never a burst of them. */
  strictSegments = false;
  /** --tcp_ts_tick_usecs: TS vals are checked, at this many µs a tick (0: not checked). */
  tsTickUs = 0;
  private readonly tsVals = new Map<number, number>();
  private firstTs: { script: number; actual: number } | undefined;

  /** The segment an inbound line injects, between `ports`; `ours` is our offset (for ACK and SACK). */
  inject(segment: ScriptSegment, ports: { local: number; remote: number }, ours: number): Inject {
    const withAck = segment.flags.includes('.');
    const options: NonNullable<Inject['options']> = {};
    for (const option of segment.options ?? []) {
      if (option.kind === 'mss') options.mss = option.value;
      if (option.kind === 'wscale') options.wscale = option.value;
      if (option.kind === 'sackOK') options.sackOk = true;
      if (option.kind === 'sack') {
        options.sack = option.blocks.map((b) => ({
          left: (b.left + ours) % MOD,
          right: (b.right + ours) % MOD,
        }));
      }
      if (option.kind === 'ts') options.ts = { val: option.val, ecr: this.actualTsVal(option.ecr) };
    }
    return {
      src: { address: REMOTE_ADDRESS, port: ports.remote },
      dst: { address: LOCAL_ADDRESS, port: ports.local },
      flags: segment.flags === '' ? 'none' : segment.flags,
      seq: segment.seq,
      ack: withAck ? ((segment.ack ?? 0) + ours) % MOD : 0,
      window: segment.win ?? 0,
      // The payload's bytes do not matter to TCP: zeros (btoa runs in browsers too).
      ...(segment.len > 0 ? { base64: btoa('\0'.repeat(segment.len)) } : {}),
      options,
      ...(segment.ecn === undefined || segment.ecn === 'noecn' || segment.ecn === 'ect01'
        ? {}
        : { ecn: segment.ecn }),
    };
  }

  /** Whether injecting `segment` needs our offset: it acknowledges or SACKs our data. */
  static needsOffset(segment: ScriptSegment): boolean {
    return segment.flags.includes('.') || segment.options?.some((o) => o.kind === 'sack') === true;
  }

  /** The TS val of ours the script calls `scriptVal` (packetdrill's ts_val map). */
  private actualTsVal(scriptVal: number): number {
    if (scriptVal === 0) return 0;
    const known = this.tsVals.get(scriptVal);
    if (known !== undefined) return known;
    return this.firstTs === undefined
      ? scriptVal
      : (scriptVal - this.firstTs.script + this.firstTs.actual + MOD) % MOD;
  }

  /** The segments a `>` line covers: one, or as many as its length needs (a TSO-sized line). */
  burst(segment: ScriptSegment, outbound: readonly SegmentEvent[]): SegmentEvent[] {
    const first = outbound[0];
    if (first === undefined) return [];
    const taken = [first];
    let covered = first.len;
    while (covered < segment.len && !this.strictSegments) {
      const next = outbound[taken.length];
      const last = taken.at(-1);
      if (
        next === undefined ||
        last === undefined ||
        next.seq !== (last.seq + last.len) % MOD ||
        next.len === 0
      )
        break;
      taken.push(next);
      covered += next.len;
    }
    return taken;
  }

  /**
   * Checks a `>` line against the segments sent (learning our ISN from our SYN, and the TS
   * vals the script names); throws Mismatch with what differs.
   */
  match(segment: ScriptSegment, burst: SegmentEvent[]): void {
    const first = burst[0];
    if (first === undefined) throw new Mismatch('nothing sent');
    if (segment.flags.includes('S') && this.offset === undefined) {
      this.offset = (first.seq - segment.seq + MOD) % MOD;
    }
    const mismatch = this.compare(segment, burst);
    if (mismatch !== undefined) throw new Mismatch(mismatch);
  }

  /**
   * With --tcp_ts_tick_usecs, our TS val counted from the first one must be the script's
   * within the tolerance (packetdrill's verify_outbound_tcp_option, which counts the tolerance
   * from the start of the script).
   */
  checkTsVal(
    segment: ScriptSegment,
    actual: SegmentEvent,
    toleranceUs: number,
  ): string | undefined {
    const script = segment.options?.find((o) => o.kind === 'ts');
    const live = actual.options.ts;
    if (this.tsTickUs === 0 || script?.kind !== 'ts' || live === undefined) return undefined;
    if (this.firstTs === undefined) return undefined;
    const rebased = (live.val - this.firstTs.actual + this.firstTs.script + MOD) % MOD;
    const off = Math.abs(((rebased - script.val + MOD + MOD / 2) % MOD) - MOD / 2);
    return off * this.tsTickUs > toleranceUs
      ? `TS val ${rebased} (rebased to the script's first), expected ${script.val}`
      : undefined;
  }

  /** Called once a `>` line passed: its TS val now names ours. */
  learnTs(segment: ScriptSegment, actual: SegmentEvent): void {
    const script = segment.options?.find((o) => o.kind === 'ts');
    const live = actual.options.ts;
    if (script?.kind !== 'ts' || live === undefined) return;
    this.tsVals.set(script.val, live.val);
    this.firstTs ??= { script: script.val, actual: live.val };
  }

  private compare(segment: ScriptSegment, burst: SegmentEvent[]): string | undefined {
    const first = burst[0];
    const last = burst.at(-1);
    if (first === undefined || last === undefined) return 'nothing sent';
    const offset = this.offset ?? 0;
    const seq = (first.seq - offset + MOD) % MOD;
    if (seq !== segment.seq) return `sequence number ${seq}, expected ${segment.seq}`;
    const len = burst.reduce((sum, b) => sum + b.len, 0);
    if (len !== segment.len) return `${len} bytes of data, expected ${segment.len}`;
    // A line longer than the MSS is a burst: PSH may be on its last segment only.
    const bare = segment.flags.replace('P', '');
    for (const b of burst) {
      const flags = b === last ? b.flags : b.flags.replace('P', '');
      if (!sameFlags(flags, b === last ? segment.flags : bare))
        return `flags ${b.flags}, expected ${segment.flags}`;
      if (!ecnMatches(segment.ecn, b.ecn))
        return `ECN field ${b.ecn ?? 'noecn'}, expected ${segment.ecn ?? ''}`;
      if (segment.ack !== undefined && b.ack !== segment.ack)
        return `ack ${b.ack}, expected ${segment.ack}`;
      if (segment.win !== undefined && b.window !== segment.win)
        return `window ${b.window}, expected ${segment.win}`;
      if (segment.options !== undefined) {
        const options = this.optionsDiffer(segment, b);
        if (options !== undefined) return options;
      }
    }
    return undefined;
  }

  private optionsDiffer(segment: ScriptSegment, actual: SegmentEvent): string | undefined {
    const script = segment.options ?? [];
    const want: string[] = [];
    for (const o of script) {
      if (o.kind === 'mss') want.push(`mss ${o.value}`);
      if (o.kind === 'wscale') want.push(`wscale ${o.value}`);
      if (o.kind === 'sackOK') want.push('sackOK');
      if (o.kind === 'sack')
        want.push(`sack ${o.blocks.map((b) => `${b.left}:${b.right}`).join(' ')}`);
      if (o.kind === 'ts') want.push(`TS ecr ${o.ecr}`);
    }
    const got = optionWords(actual.options, true);
    const [a, b] = [want.sort().join(','), got.sort().join(',')];
    return a === b
      ? undefined
      : `options <${b}>, expected <${a}> (NOP padding and TS val are not compared)`;
  }

  /** Segments the endpoint sent, in the script's terms (`> P. 1:1001(1000) ack 1 win 1024 <...>`). */
  describe(segments: readonly SegmentEvent[]): string {
    const offset = this.offset ?? 0;
    return segments
      .map((b) => {
        const seq = (b.seq - offset + MOD) % MOD;
        const ack = b.flags.includes('.') ? ` ack ${b.ack}` : '';
        const options = optionWords(b.options, false);
        const ecn = b.ecn === undefined ? '' : `[${b.ecn}] `;
        return `> ${ecn}${b.flags} ${seq}:${(seq + b.len) % MOD}(${b.len})${ack} win ${b.window}${options.length === 0 ? '' : ` <${options.join(',')}>`}`;
      })
      .join(', ');
  }
}

/** The same flags, whatever their order (packetdrill writes `SEW`, tcpdump's order differs). */
function sameFlags(a: string, b: string): boolean {
  return [...a].sort().join('') === [...b].sort().join('');
}

/** A `>` line's ECN field against the codepoint sent (undefined: Not-ECT). */
function ecnMatches(script: ScriptSegment['ecn'], sent: SegmentEvent['ecn']): boolean {
  if (script === undefined) return true; // not checked
  if (script === 'noecn') return sent === undefined;
  if (script === 'ect01') return sent === 'ect0' || sent === 'ect1';
  return sent === script;
}

/** Options as packetdrill names them; `comparable` leaves TS val out. */
function optionWords(options: SegmentEvent['options'], comparable: boolean): string[] {
  const words: string[] = [];
  if (options.mss !== undefined) words.push(`mss ${options.mss}`);
  if (options.sackOk === true) words.push('sackOK');
  if (options.ts !== undefined) {
    words.push(
      comparable ? `TS ecr ${options.ts.ecr}` : `TS val ${options.ts.val} ecr ${options.ts.ecr}`,
    );
  }
  if (options.wscale !== undefined) words.push(`wscale ${options.wscale}`);
  if (options.sack !== undefined && options.sack.length > 0) {
    words.push(`sack ${options.sack.map((b) => `${b.left}:${b.right}`).join(' ')}`);
  }
  return words;
}

/** A `>` line as the script wrote it, for reports. */
export function scriptText(segment: ScriptSegment): string {
  const ack = segment.ack === undefined ? '' : ` ack ${segment.ack}`;
  const win = segment.win === undefined ? '' : ` win ${segment.win}`;
  const options =
    segment.options === undefined
      ? ' <...>'
      : segment.options.length === 0
        ? ''
        : ` <${segment.options
            .map((o) =>
              o.kind === 'mss' || o.kind === 'wscale'
                ? `${o.kind} ${o.value}`
                : o.kind === 'ts'
                  ? `TS val ${o.val} ecr ${o.ecr}`
                  : o.kind === 'sack'
                    ? `sack ${o.blocks.map((b) => `${b.left}:${b.right}`).join(' ')}`
                    : o.kind,
            )
            .join(',')}>`;
  const ecn = segment.ecn === undefined ? '' : `[${segment.ecn}] `;
  return `> ${ecn}${segment.flags} ${segment.seq}:${(segment.seq + segment.len) % MOD}(${segment.len})${ack}${win}${options}`;
}
