/**
 * Plays a packetdrill script against one simulated endpoint (the `linux` profile) on a
 * LabTarget: system calls become the endpoint's calls, `<` lines injected segments from the
 * remote address, `>` lines the segments the endpoint must send, each at its time within the
 * tolerance. Every line gets a verdict: pass, fail (expected and actual), unsupported, or not
 * run (after the first failure, as packetdrill stops there).
 *
 * Numbering follows packetdrill: the script's own sequence numbers for the remote end, ours
 * counted from our ISN (the script's `>` SYN says which number that is). TS val in `>` lines is
 * not compared (our clock is not the script's); TS ecr in `<` lines names a TS val of ours by
 * the script's number for it, as packetdrill maps it.
 */
import type { EndpointOptions, Inject } from '@tcplab/contract';
import { isApiError } from '../errors.js';
import type { AnyTraceEvent } from '../api/trace.js';
import type { LabSession, LabTarget } from '../scenario/target.js';
import type { SegmentEvent } from '../scenario/lines.js';
import {
  DEFAULT_TOLERANCE_PERCENT,
  DEFAULT_TOLERANCE_US,
  EPHEMERAL_PORT,
  LINUX_OPTIONS,
  LOCAL_ADDRESS,
  REMOTE_ADDRESS,
  SCRIPT_PORT,
} from './linux.js';
import {
  parsePacketdrill,
  type ScriptCall,
  type ScriptEvent,
  type ScriptSegment,
  type ScriptTime,
} from './parse.js';

export type LineStatus = 'pass' | 'fail' | 'unsupported' | 'not-run';

export interface LineResult {
  line: number;
  text: string;
  status: LineStatus;
  /** Why it failed or is unsupported. */
  message?: string;
  expected?: string;
  actual?: string;
}

export interface PacketdrillResult {
  name: string;
  where: string;
  sessionId: string;
  /** Every line passed: none failed, none unsupported. */
  passed: boolean;
  lines: LineResult[];
  endMs: number;
}

/** A line that failed: the script stops here. */
class Failure extends Error {
  constructor(
    message: string,
    readonly expected?: string,
    readonly actual?: string,
  ) {
    super(message);
  }
}

/** A call the player does not model: reported, and the script goes on. */
class Unsupported extends Error {}

/** A blocked call failed when it returned: its own line says why; the script stops. */
class Stopped extends Error {}

const MOD = 0x1_0000_0000;
const s = (us: number) => (us / 1_000_000).toFixed(6);

interface Socket {
  fd: number;
  options: EndpointOptions;
  /** SO_KEEPALIVE, and TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (Linux: 7200 s, 75 s, 9). */
  keepalive: { on: boolean; idleMs: number; intervalMs: number; probes: number };
  nonblocking: boolean;
  port: number | undefined;
  endpointId: string | undefined;
  listener: boolean;
  /** An error the application has not yet been told (ECONNRESET...). */
  errorTold: boolean;
}

interface Pending {
  event: ScriptEvent & { kind: 'call' };
  /** When the script says it returns. */
  endUs: number;
  /** Tries to finish the call now; answers its return value and errno, or undefined if it still blocks. */
  attempt: () => Promise<{ result: number; errno?: string } | undefined>;
}

export class PacketdrillPlayer {
  readonly lines: LineResult[] = [];
  private nowUs = 0;
  private nextEventUs: number | undefined;
  /** When the last event happened: relative times count from it. */
  private lastEventUs = 0;
  private toleranceUs = DEFAULT_TOLERANCE_US;
  private tolerancePercent = DEFAULT_TOLERANCE_PERCENT;
  private events: AnyTraceEvent[] = [];
  /** Segments the endpoint sent that no `>` line has matched yet. */
  private outbound: SegmentEvent[] = [];
  private readonly sockets = new Map<number, Socket>();
  private nextFd = 3;
  private readonly accepted = new Set<string>();
  /** Our ISN less the script's number for it. */
  private offset: number | undefined;
  /** The endpoint the script's segments are exchanged with. */
  private connection: string | undefined;
  private readonly tsVals = new Map<number, number>();
  private firstTs: { script: number; actual: number } | undefined;
  private pending: Pending | undefined;
  /** The ports the script's segments use, once a socket listens or connects. */
  private ports: { local: number; remote: number } | undefined;

  constructor(private readonly session: LabSession) {}

  async play(events: ScriptEvent[]): Promise<void> {
    let failed = false;
    for (const event of events) {
      if (failed) {
        this.lines.push({ line: event.line, text: event.text, status: 'not-run' });
        continue;
      }
      try {
        const status = await this.run(event);
        if (status !== undefined) this.lines.push({ line: event.line, text: event.text, status });
      } catch (error) {
        if (error instanceof Stopped) {
          this.lines.push({ line: event.line, text: event.text, status: 'not-run' });
          failed = true;
        } else if (error instanceof Unsupported) {
          this.lines.push({
            line: event.line,
            text: event.text,
            status: 'unsupported',
            message: error.message,
          });
        } else if (error instanceof Failure) {
          this.lines.push({
            line: event.line,
            text: event.text,
            status: 'fail',
            message: error.message,
            ...(error.expected === undefined ? {} : { expected: error.expected }),
            ...(error.actual === undefined ? {} : { actual: error.actual }),
          });
          failed = true;
        } else throw error;
      }
    }
    if (!failed && this.pending !== undefined) {
      const { event } = this.pending;
      this.record(
        event,
        'fail',
        `the call never returned (still blocked at ${s(this.nowUs)} s, the end of the script)`,
      );
    }
  }

  get endMs(): number {
    return this.nowUs / 1000;
  }

  /** Runs one event; answers its verdict, or undefined when a blocking call will give it later. */
  private async run(event: ScriptEvent): Promise<LineStatus | undefined> {
    switch (event.kind) {
      case 'invalid':
        throw new Failure(`not packetdrill: ${event.reason}`);
      case 'unsupported':
        throw new Unsupported(event.reason);
      case 'option':
        return this.option(event.name, event.value);
      case 'segment':
        return event.segment.direction === '<'
          ? this.inbound(event.time, event.segment)
          : this.expectOutbound(event.time, event.segment);
      case 'call':
        return this.call(event);
    }
  }

  private option(name: string, value: string): LineStatus {
    if (name === 'tolerance_usecs') this.toleranceUs = Number(value);
    else if (name === 'tolerance_percent') this.tolerancePercent = Number(value);
    else if (!(name === 'ip_version' && value === 'ipv4'))
      throw new Unsupported(`option --${name}`);
    return 'pass';
  }

  /** The script time of an event, from its time spec. */
  private scheduled(time: ScriptTime): {
    atUs: number;
    fromUs: number;
    toUs: number;
    baseUs: number;
  } {
    const tolerance = (atUs: number) =>
      Math.max(this.toleranceUs, ((atUs - this.lastEventUs) * this.tolerancePercent) / 100);
    switch (time.kind) {
      case 'any':
        return {
          atUs: this.nowUs,
          fromUs: this.nowUs,
          toUs: Number.POSITIVE_INFINITY,
          baseUs: this.nowUs,
        };
      case 'absolute':
      case 'relative': {
        const baseUs = time.kind === 'absolute' ? 0 : this.lastEventUs;
        const atUs = baseUs + time.us;
        return { atUs, fromUs: atUs - tolerance(atUs), toUs: atUs + tolerance(atUs), baseUs };
      }
      case 'range': {
        const baseUs = time.relative ? this.lastEventUs : 0;
        const [from, to] = [baseUs + time.fromUs, baseUs + time.toUs];
        return { atUs: from, fromUs: from - tolerance(from), toUs: to + tolerance(to), baseUs };
      }
    }
  }

  // --- the clock ------------------------------------------------------------------------

  private async clock(action: Parameters<LabSession['clock']>[0]): Promise<void> {
    const result = await this.session.clock(action);
    this.nowUs = Math.round(result.nowMs * 1000);
    this.nextEventUs =
      result.nextEventMs === undefined ? undefined : Math.round(result.nextEventMs * 1000);
    await this.collect();
  }

  /** Reads the new trace events; the segments the endpoint sent queue up for `>` lines. */
  private async collect(): Promise<void> {
    const fresh = await this.session.events(this.events.at(-1)?.eventId ?? 0);
    this.events.push(...fresh);
    for (const e of fresh) {
      if (e.kind === 'segment' && (e.src as { address: string }).address === LOCAL_ADDRESS) {
        this.outbound.push(e as unknown as SegmentEvent);
      }
    }
  }

  /**
   * Runs every event up to `atUs` and stops the clock there. A blocking call is tried after
   * every event on the way, so that it returns when it can, not when the script next looks.
   */
  private async settle(atUs: number): Promise<void> {
    for (;;) {
      await this.tryPending();
      const next = this.nextEventUs;
      if (this.pending === undefined || next === undefined || next > atUs) break;
      await this.clock({ action: 'step' });
    }
    const ms = Math.max(0, atUs - this.nowUs) / 1000;
    await this.clock({ action: 'advance', ms });
    await this.tryPending();
  }

  /** Before an inbound segment or a call: nothing sent that the script did not expect. */
  private quiet(): void {
    const extra = this.outbound[0];
    if (extra !== undefined) {
      throw new Failure(
        `the endpoint sent a segment the script did not expect (at ${s(Math.round(extra.timeMs * 1000))} s)`,
        'nothing sent before this line',
        this.describe([extra]),
      );
    }
  }

  // --- segments -----------------------------------------------------------------------------

  private async ourOffset(): Promise<number> {
    if (this.offset !== undefined) return this.offset;
    const endpoints = await this.session.endpoints();
    // Before accept(), the connection a listener is making is its newest endpoint.
    const endpoint =
      endpoints.find((e) => e.id === this.connection) ??
      endpoints.filter((e) => e.parentId !== undefined).at(-1);
    if (endpoint === undefined) throw new Failure('no connection yet to acknowledge');
    this.offset = endpoint.tcb.iss;
    return this.offset;
  }

  private async inbound(time: ScriptTime, segment: ScriptSegment): Promise<LineStatus> {
    const { atUs } = this.scheduled(time);
    await this.settle(atUs);
    this.quiet();
    const ports = this.ports;
    if (ports === undefined) {
      throw new Failure('no socket listens or connects yet: nothing to send this segment to');
    }
    const withAck = segment.flags.includes('.');
    const ours =
      withAck || segment.options?.some((o) => o.kind === 'sack') === true
        ? await this.ourOffset()
        : 0;
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
    await this.session.inject({
      src: { address: REMOTE_ADDRESS, port: ports.remote },
      dst: { address: LOCAL_ADDRESS, port: ports.local },
      flags: segment.flags === '' ? 'none' : segment.flags,
      seq: segment.seq,
      ack: withAck ? ((segment.ack ?? 0) + ours) % MOD : 0,
      window: segment.win ?? 0,
      // The payload's bytes do not matter to TCP: zeros (btoa runs in browsers too).
      ...(segment.len > 0 ? { base64: btoa('\0'.repeat(segment.len)) } : {}),
      options,
    });
    this.lastEventUs = atUs;
    await this.settle(atUs); // it arrives now: the link has no delay
    return 'pass';
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

  private async expectOutbound(time: ScriptTime, segment: ScriptSegment): Promise<LineStatus> {
    const { atUs, fromUs, toUs } = this.scheduled(time);
    await this.settle(Math.max(atUs, this.nowUs));
    while (
      this.outbound.length === 0 &&
      this.nextEventUs !== undefined &&
      this.nextEventUs <= toUs
    ) {
      await this.clock({ action: 'step' });
      await this.tryPending();
    }
    const first = this.outbound[0];
    const expected = this.scriptText(segment);
    if (first === undefined) {
      throw new Failure(
        `expected a segment by ${s(toUs)} s; none was sent`,
        expected,
        'nothing sent',
      );
    }
    const burst = this.burst(segment);
    const sentUs = Math.round(first.timeMs * 1000);
    // Our SYN tells which number the script gives our ISN.
    if (segment.flags.includes('S') && this.offset === undefined) {
      this.offset = (first.seq - segment.seq + MOD) % MOD;
    }
    const actual = this.describe(burst);
    const mismatch = this.compare(segment, burst);
    if (mismatch !== undefined)
      throw new Failure(mismatch, expected, `${actual} at ${s(sentUs)} s`);
    if (sentUs < fromUs || sentUs > toUs) {
      throw new Failure(
        `timing: expected at ${s(atUs)} s (within ${s(fromUs)}~${s(toUs)}), sent at ${s(sentUs)} s`,
        expected,
        `${actual} at ${s(sentUs)} s`,
      );
    }
    this.outbound.splice(0, burst.length);
    this.learnTs(segment, first);
    this.lastEventUs = sentUs;
    return 'pass';
  }

  /** The segments a `>` line covers: one, or as many as its length needs (a TSO-sized line). */
  private burst(segment: ScriptSegment): SegmentEvent[] {
    const first = this.outbound[0];
    if (first === undefined) return [];
    const taken = [first];
    let covered = first.len;
    while (covered < segment.len) {
      const next = this.outbound[taken.length];
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

  private learnTs(segment: ScriptSegment, actual: SegmentEvent): void {
    const script = segment.options?.find((o) => o.kind === 'ts');
    const live = actual.options.ts;
    if (script?.kind !== 'ts' || live === undefined) return;
    this.tsVals.set(script.val, live.val);
    this.firstTs ??= { script: script.val, actual: live.val };
  }

  /** What differs between a `>` line and the segments sent, or undefined if they match. */
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
      if (flags !== (b === last ? segment.flags : bare))
        return `flags ${b.flags}, expected ${segment.flags}`;
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
    const got = this.optionWords(actual.options, true);
    const [a, b] = [want.sort().join(','), got.sort().join(',')];
    return a === b
      ? undefined
      : `options <${b}>, expected <${a}> (NOP padding and TS val are not compared)`;
  }

  /** Options as packetdrill names them; `comparable` leaves TS val out. */
  private optionWords(options: SegmentEvent['options'], comparable: boolean): string[] {
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

  /** Segments the endpoint sent, in the script's terms (`> P. 1:1001(1000) ack 1 win 1024 <...>`). */
  private describe(segments: SegmentEvent[]): string {
    const offset = this.offset ?? 0;
    return segments
      .map((b) => {
        const seq = (b.seq - offset + MOD) % MOD;
        const ack = b.flags.includes('.') ? ` ack ${b.ack}` : '';
        const options = this.optionWords(b.options, false);
        return `> ${b.flags} ${seq}:${(seq + b.len) % MOD}(${b.len})${ack} win ${b.window}${options.length === 0 ? '' : ` <${options.join(',')}>`}`;
      })
      .join(', ');
  }

  private scriptText(segment: ScriptSegment): string {
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
    return `> ${segment.flags} ${segment.seq}:${(segment.seq + segment.len) % MOD}(${segment.len})${ack}${win}${options}`;
  }

  // --- system calls -----------------------------------------------------------------------

  private socket(fdText: string | undefined): Socket {
    const socket = this.sockets.get(Number(fdText));
    if (socket === undefined) throw new Failure(`no socket ${fdText ?? ''} (EBADF)`);
    return socket;
  }

  private record(
    event: ScriptEvent,
    status: LineStatus,
    message?: string,
    expected?: string,
    actual?: string,
  ) {
    this.lines.push({
      line: event.line,
      text: event.text,
      status,
      ...(message === undefined ? {} : { message }),
      ...(expected === undefined ? {} : { expected }),
      ...(actual === undefined ? {} : { actual }),
    });
  }

  private async call(event: ScriptEvent & { kind: 'call' }): Promise<LineStatus | undefined> {
    const { atUs, baseUs } = this.scheduled(event.time);
    await this.settle(atUs);
    this.quiet();
    if (this.pending !== undefined) {
      throw new Failure(
        `a system call while ${this.pending.event.call.name}() blocks (line ${this.pending.event.line})`,
      );
    }
    const { call } = event;
    // A blocking call's end counts from the same point as its start (packetdrill's end_usecs).
    const endUs =
      call.endUs === undefined ? atUs : (event.time.kind === 'relative' ? baseUs : 0) + call.endUs;
    this.lastEventUs = atUs;
    const outcome = await this.execute(call);
    await this.clock({ action: 'advance', ms: 0 });
    if ('blocks' in outcome) {
      this.pending = { event, endUs, attempt: outcome.blocks };
      await this.tryPending();
      return undefined;
    }
    const failure = this.verdict(call, outcome, atUs, endUs);
    if (failure !== undefined) throw failure;
    return 'pass';
  }

  /** What is wrong with a finished call's return value or return time, if anything. */
  private verdict(
    call: ScriptCall,
    outcome: { result: number; errno?: string },
    returnedUs: number,
    endUs: number,
  ): Failure | undefined {
    const expected = `= ${call.result}${call.errno === undefined ? '' : ` ${call.errno}`}`;
    const actual = `= ${outcome.result}${outcome.errno === undefined ? '' : ` ${outcome.errno}`}`;
    if (expected !== actual)
      return new Failure(`${call.name}() returned ${actual.slice(2)}`, expected, actual);
    const tolerance = Math.max(
      this.toleranceUs,
      ((endUs - this.lastEventUs) * this.tolerancePercent) / 100,
    );
    if (Math.abs(returnedUs - endUs) > tolerance) {
      return new Failure(
        `timing: ${call.name}() returned at ${s(returnedUs)} s, expected at ${s(endUs)} s`,
        `${expected} at ${s(endUs)} s`,
        `${actual} at ${s(returnedUs)} s`,
      );
    }
    return undefined;
  }

  /** Tries the blocked call; when it returns, its line gets its verdict. */
  private async tryPending(): Promise<void> {
    const pending = this.pending;
    if (pending === undefined) return;
    const outcome = await pending.attempt();
    if (outcome === undefined) return;
    this.pending = undefined;
    const failure = this.verdict(pending.event.call, outcome, this.nowUs, pending.endUs);
    this.record(
      pending.event,
      failure === undefined ? 'pass' : 'fail',
      failure?.message,
      failure?.expected,
      failure?.actual,
    );
    if (failure !== undefined) throw new Stopped();
  }

  /** Runs a call: its result now, or how to try it again while it blocks. */
  private async execute(
    call: ScriptCall,
  ): Promise<
    | { result: number; errno?: string }
    | { blocks: () => Promise<{ result: number; errno?: string } | undefined> }
  > {
    const [fdText] = call.args;
    switch (call.name) {
      case 'socket': {
        if (call.args[1] !== 'SOCK_STREAM')
          throw new Unsupported('only SOCK_STREAM sockets (TCP) are supported');
        const fd = this.nextFd++;
        this.sockets.set(fd, {
          fd,
          options: { ...LINUX_OPTIONS },
          keepalive: { on: false, idleMs: 7_200_000, intervalMs: 75_000, probes: 9 },
          nonblocking: false,
          port: undefined,
          endpointId: undefined,
          listener: false,
          errorTold: false,
        });
        return { result: fd };
      }
      case 'setsockopt':
        this.setsockopt(this.socket(fdText), call.args);
        return { result: 0 };
      case 'getsockopt':
        return this.getsockopt(this.socket(fdText), call.args);
      case 'fcntl': {
        const socket = this.socket(fdText);
        if (call.args[1] !== 'F_SETFL') throw new Unsupported(`fcntl ${call.args[1] ?? ''}`);
        socket.nonblocking = (call.args[2] ?? '').includes('O_NONBLOCK');
        return { result: 0 };
      }
      case 'bind': {
        this.socket(fdText).port = SCRIPT_PORT;
        return { result: 0 };
      }
      case 'listen': {
        const socket = this.socket(fdText);
        const endpoint = await this.session.addEndpoint({
          name: `fd${socket.fd}`,
          address: LOCAL_ADDRESS,
          port: socket.port ?? SCRIPT_PORT,
          options: endpointOptions(socket),
        });
        socket.endpointId = endpoint.id;
        socket.port ??= SCRIPT_PORT;
        socket.listener = true;
        // Connections to a listener come from the remote's ephemeral port.
        this.ports = { local: socket.port, remote: EPHEMERAL_PORT };
        return this.refusable(() => this.session.call(endpoint.id, 'listen'), 0);
      }
      case 'connect': {
        const socket = this.socket(fdText);
        socket.port ??= EPHEMERAL_PORT;
        const endpoint = await this.session.addEndpoint({
          name: `fd${socket.fd}`,
          address: LOCAL_ADDRESS,
          port: socket.port,
          options: endpointOptions(socket),
        });
        socket.endpointId = endpoint.id;
        this.connection = endpoint.id;
        this.ports = { local: socket.port, remote: SCRIPT_PORT };
        const refused = await this.refusable(
          () => this.session.connect(endpoint.id, { address: REMOTE_ADDRESS, port: SCRIPT_PORT }),
          0,
        );
        if (refused.result !== 0) return refused;
        if (socket.nonblocking) return { result: -1, errno: 'EINPROGRESS' };
        return { blocks: () => this.connected(socket) };
      }
      case 'accept': {
        const socket = this.socket(fdText);
        const attempt = () => this.acceptOne(socket);
        const now = await attempt();
        if (now !== undefined) return now;
        if (socket.nonblocking) return { result: -1, errno: 'EAGAIN' };
        return { blocks: attempt };
      }
      case 'write':
      case 'send': {
        const socket = this.socket(fdText);
        const bytes = Number(call.args[2]);
        if (!Number.isInteger(bytes) || bytes < 0)
          throw new Unsupported(`${call.name} of ${call.args[2] ?? ''} bytes`);
        const told = this.tellError(socket);
        if (told !== undefined) return told;
        if (bytes === 0) return { result: 0 };
        const sent = await this.refusable(
          async () => (await this.session.send(this.endpointOf(socket), { bytes })).accepted,
        );
        if (sent.result >= 0 && sent.result < bytes && !socket.nonblocking) {
          throw new Unsupported(
            'a blocking write that waits for room in the send buffer is not modelled',
          );
        }
        return sent.result === 0 && socket.nonblocking ? { result: -1, errno: 'EAGAIN' } : sent;
      }
      case 'read':
      case 'recv': {
        const socket = this.socket(fdText);
        const max = Number(call.args[2]);
        if (!Number.isInteger(max) || max <= 0)
          throw new Unsupported(`${call.name} of ${call.args[2] ?? ''} bytes`);
        const attempt = () => this.readSome(socket, max);
        const now = await attempt();
        if (now !== undefined) return now;
        if (socket.nonblocking) return { result: -1, errno: 'EAGAIN' };
        return { blocks: attempt };
      }
      case 'close': {
        const socket = this.socket(fdText);
        this.sockets.delete(socket.fd);
        if (socket.endpointId === undefined) return { result: 0 };
        return this.refusable(() => this.session.call(socket.endpointId ?? '', 'close'), 0, true);
      }
      case 'shutdown': {
        const socket = this.socket(fdText);
        const how = call.args[1];
        if (how === 'SHUT_RD') return { result: 0 };
        if (how !== 'SHUT_WR' && how !== 'SHUT_RDWR')
          throw new Unsupported(`shutdown ${how ?? ''}`);
        return this.refusable(() => this.session.call(this.endpointOf(socket), 'shutdown'), 0);
      }
      default:
        throw new Unsupported(`${call.name}() is not supported`);
    }
  }

  private endpointOf(socket: Socket): string {
    if (socket.endpointId === undefined)
      throw new Failure(`socket ${socket.fd} is not connected`, undefined, '-1 ENOTCONN');
    return socket.endpointId;
  }

  /** A call the engine may refuse: its refusal as -1 and the errno a program would see. */
  private async refusable(
    call: () => Promise<unknown>,
    value?: number,
    closing = false,
  ): Promise<{ result: number; errno?: string }> {
    try {
      const result = await call();
      return { result: value ?? (typeof result === 'number' ? result : 0) };
    } catch (error) {
      if (!isApiError(error)) throw error;
      // close() of a socket whose connection is gone still succeeds.
      if (closing && error.code === 'ENOTCONN') return { result: 0 };
      return { result: -1, errno: error.code };
    }
  }

  /** An error the connection failed with, told once (as the next call's result). */
  private tellError(socket: Socket): { result: number; errno: string } | undefined {
    if (socket.errorTold || socket.endpointId === undefined) return undefined;
    const failure = [...this.events]
      .reverse()
      .find((e) => e.kind === 'app' && e.endpointId === socket.endpointId && e.event === 'error');
    if (failure === undefined) return undefined;
    socket.errorTold = true;
    return { result: -1, errno: String(failure.error) };
  }

  private async connected(socket: Socket): Promise<{ result: number; errno?: string } | undefined> {
    const told = this.tellError(socket);
    if (told !== undefined) return told;
    const endpoint = (await this.session.endpoints()).find((e) => e.id === socket.endpointId);
    return endpoint !== undefined && endpoint.state !== 'SYN-SENT' && endpoint.state !== 'CLOSED'
      ? { result: 0 }
      : undefined;
  }

  private async acceptOne(listener: Socket): Promise<{ result: number } | undefined> {
    const child = (await this.session.endpoints()).find(
      (e) =>
        e.parentId === listener.endpointId &&
        !this.accepted.has(e.id) &&
        e.state !== 'SYN-RECEIVED' &&
        e.state !== 'CLOSED',
    );
    if (child === undefined) return undefined;
    this.accepted.add(child.id);
    this.connection = child.id;
    const fd = this.nextFd++;
    this.sockets.set(fd, {
      fd,
      options: listener.options,
      keepalive: listener.keepalive,
      nonblocking: false,
      port: listener.port,
      endpointId: child.id,
      listener: false,
      errorTold: false,
    });
    return { result: fd };
  }

  private async readSome(
    socket: Socket,
    max: number,
  ): Promise<{ result: number; errno?: string } | undefined> {
    const eid = this.endpointOf(socket);
    const endpoint = (await this.session.endpoints()).find((e) => e.id === eid);
    const told = endpoint?.buffered.received === 0 ? this.tellError(socket) : undefined;
    if (told !== undefined) return told;
    const read = await this.session.receive(eid, { max });
    if (read.bytes > 0) return { result: read.bytes };
    if (read.eof || endpoint?.state === 'CLOSED') return { result: 0 };
    return undefined;
  }

  private setsockopt(socket: Socket, args: string[]): void {
    const [, level, name, value] = args;
    const number = Number(/^\[(\d+)\]$/.exec(value ?? '')?.[1]);
    if (name === 'SO_REUSEADDR' || name === 'SO_REUSEPORT') return;
    if (socket.endpointId !== undefined) {
      throw new Unsupported(
        `${name ?? ''} after listen() or connect(): the endpoint's options are set when it is made`,
      );
    }
    const o = socket.options;
    switch (name) {
      case 'TCP_NODELAY':
        o.nagle = number === 0;
        return;
      case 'SO_RCVBUF':
        o.rcvBuffer = Math.max(2304, 2 * number); // Linux doubles what is asked (socket(7))
        return;
      case 'SO_SNDBUF':
        o.sndBuffer = Math.max(4608, 2 * number);
        return;
      case 'TCP_MAXSEG':
        o.mss = number;
        return;
      case 'SO_KEEPALIVE':
        socket.keepalive.on = number !== 0;
        return;
      case 'TCP_KEEPIDLE':
        socket.keepalive.idleMs = number * 1000;
        return;
      case 'TCP_KEEPINTVL':
        socket.keepalive.intervalMs = number * 1000;
        return;
      case 'TCP_KEEPCNT':
        socket.keepalive.probes = number;
        return;
      case 'TCP_CONGESTION': {
        const algorithm = (value ?? '').replace(/"/g, '');
        if (algorithm !== 'reno' && algorithm !== 'cubic')
          throw new Unsupported(`congestion control ${algorithm}`);
        o.congestion = algorithm;
        return;
      }
      default:
        throw new Unsupported(`setsockopt ${level ?? ''} ${name ?? ''}`);
    }
  }

  private getsockopt(socket: Socket, args: string[]): { result: number; errno?: string } {
    const [, , name, value] = args;
    if (name === 'TCP_INFO') throw new Unsupported('TCP_INFO is not supported');
    if (name !== 'SO_ERROR') throw new Unsupported(`getsockopt ${name ?? ''}`);
    const told = this.tellError(socket);
    const expected = /^\[(\w+)\]$/.exec(value ?? '')?.[1] ?? '';
    const actual = told?.errno ?? '0';
    if (expected !== actual)
      throw new Failure(`SO_ERROR is ${actual}`, `[${expected}]`, `[${actual}]`);
    return { result: 0 };
  }
}

/** A socket's options as the endpoint is made with them. */
function endpointOptions(socket: Socket): EndpointOptions {
  const { on, ...keepalive } = socket.keepalive;
  return { ...socket.options, keepalive: on ? keepalive : false };
}

/** Plays `script` on `target`; every line gets a verdict. */
export async function runPacketdrill(
  script: string,
  target: LabTarget,
  { name = 'script.pkt' }: { name?: string } = {},
): Promise<PacketdrillResult> {
  const events = parsePacketdrill(script);
  // The script is the network: no delay, and no MTU to stop the segments it writes.
  const session = await target.open({
    name: name.slice(0, 200),
    seed: 1,
    link: { delayMs: 0, mtu: 65_535 },
  });
  const player = new PacketdrillPlayer(session);
  await player.play(events);
  const lines = player.lines.sort((a, b) => a.line - b.line);
  return {
    name,
    where: target.where,
    sessionId: session.id,
    passed: lines.every((l) => l.status === 'pass'),
    lines,
    endMs: player.endMs,
  };
}
