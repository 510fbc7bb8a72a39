/**
 * Plays a packetdrill script against one simulated endpoint (the `linux` profile) on a
 * LabTarget: shell lines set the kernel (kernel.ts), system calls become the endpoint's calls
 * (sockets.ts), `<` lines injected segments and `>` lines the segments the endpoint must send,
 * each at its time within the tolerance (segments.ts), and `%{ }%` blocks assertions over the
 * connection's tcp_info (python.ts). A call that blocks runs on, as in packetdrill's own
 * threads, while the next lines play; it gets its verdict when it returns. Every line gets a
 * verdict: pass, fail (expected and actual), unsupported, or not run (after the first
 * failure, as packetdrill stops there).
 *
 * As in packetdrill, what the endpoint sends is looked at only by `>` lines: a segment the
 * script does not name is what the next `>` line finds first, and fails it.
 */
import type { TcpInfo } from '@tcplab/contract';
import type { AnyTraceEvent } from '../api/trace.js';
import type { LabSession, LabTarget } from '../scenario/target.js';
import type { SegmentEvent } from '../scenario/lines.js';
import { Kernel, KernelUnsupported } from './kernel.js';
import { DEFAULT_TOLERANCE_PERCENT, DEFAULT_TOLERANCE_US, LOCAL_ADDRESS } from './linux.js';
import {
  parsePacketdrill,
  type ScriptCall,
  type ScriptEvent,
  type ScriptSegment,
  type ScriptTime,
} from './parse.js';
import { AssertionFailed, PythonError, runPython, type PyValue } from './python.js';
import { Mismatch, ScriptWire, scriptText } from './segments.js';
import { CallFailure, ScriptSockets, Unsupported, type CallOutcome } from './sockets.js';

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

/** A blocked call failed when it returned: its own line says why; the script stops. */
class Stopped extends Error {}

const s = (us: number) => (us / 1_000_000).toFixed(6);

interface Pending {
  event: ScriptEvent & { kind: 'call' };
  /** When the script says it returns. */
  endUs: number;
  /** When it started: its return time's tolerance counts from there. */
  startUs: number;
  /** Tries to finish the call now; answers its return value and errno, or undefined if it still blocks. */
  attempt: () => Promise<CallOutcome | undefined>;
}

/** Names packetdrill gives a `%{ }%` block besides the tcpi_* fields (packetdrill's code.c). */
const SYMBOLS: Record<string, number> = {
  TCP_ESTABLISHED: 1,
  TCP_SYN_SENT: 2,
  TCP_SYN_RECV: 3,
  TCP_FIN_WAIT1: 4,
  TCP_FIN_WAIT2: 5,
  TCP_TIME_WAIT: 6,
  TCP_CLOSE: 7,
  TCP_CLOSE_WAIT: 8,
  TCP_LAST_ACK: 9,
  TCP_LISTEN: 10,
  TCP_CLOSING: 11,
  TCP_CA_Open: 0,
  TCP_CA_Disorder: 1,
  TCP_CA_CWR: 2,
  TCP_CA_Recovery: 3,
  TCP_CA_Loss: 4,
  TCPI_OPT_TIMESTAMPS: 1,
  TCPI_OPT_SACK: 2,
  TCPI_OPT_WSCALE: 4,
  TCPI_OPT_ECN: 8,
  TCPI_OPT_ECN_SEEN: 16,
  TCPI_OPT_SYN_DATA: 32,
};

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
  private readonly wire = new ScriptWire();
  private readonly kernel = new Kernel();
  private readonly sockets: ScriptSockets;
  /** Calls that block, each in its own thread as packetdrill runs them. */
  private pending: Pending[] = [];
  /** The variables `%{ }%` blocks set, kept from one block to the next as in one program. */
  private readonly python = new Map<string, PyValue>();

  constructor(private readonly session: LabSession) {
    this.sockets = new ScriptSockets(session, this.kernel, () => this.events);
  }

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
        } else if (error instanceof Unsupported || error instanceof KernelUnsupported) {
          this.record(event, 'unsupported', error.message);
        } else if (error instanceof Failure) {
          this.record(event, 'fail', error.message, error.expected, error.actual);
          failed = true;
        } else throw error;
      }
    }
    if (!failed) {
      for (const { event } of this.pending) {
        this.record(
          event,
          'fail',
          `the call never returned (still blocked at ${s(this.nowUs)} s, the end of the script)`,
        );
      }
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
      case 'shell':
        this.kernel.shell(event.code);
        return 'pass';
      case 'python':
        return this.runPython(event.time, event.code);
      case 'segment':
        return event.segment.direction === '<'
          ? this.inbound(event.time, event.segment)
          : this.expectOutbound(event.time, event.segment);
      case 'call':
        return this.call(event);
    }
  }

  /** packetdrill's command-line options, as scripts set them on their first lines. */
  private option(name: string, value: string): LineStatus {
    if (name === 'tolerance_usecs') this.toleranceUs = Number(value);
    else if (name === 'tolerance_percent') this.tolerancePercent = Number(value);
    else if (name === 'strict_segments') this.wire.strictSegments = true;
    else if (name === 'tcp_ts_tick_usecs') {
      // Our TS clock ticks every millisecond, as Linux's does since 4.13.
      if (Number(value) !== 1000 && Number(value) !== 0)
        throw new Unsupported(`--tcp_ts_tick_usecs=${value}: the TS clock ticks every 1000 µs`);
      this.wire.tsTickUs = Number(value);
    } else if (!(name === 'ip_version' && value === 'ipv4'))
      throw new Unsupported(`option --${name}${value === '' ? '' : `=${value}`}`);
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
   * Runs every event up to `atUs` and stops the clock there. Blocking calls are tried after
   * every event on the way, so that each returns when it can, not when the script next looks.
   */
  private async settle(atUs: number): Promise<void> {
    for (;;) {
      await this.tryPending();
      const next = this.nextEventUs;
      if (this.pending.length === 0 || next === undefined || next > atUs) break;
      await this.clock({ action: 'step' });
    }
    const ms = Math.max(0, atUs - this.nowUs) / 1000;
    await this.clock({ action: 'advance', ms });
    await this.tryPending();
  }

  // --- segments -----------------------------------------------------------------------------

  /** Our ISN, less the script's number for it. */
  private async ourOffset(): Promise<number> {
    if (this.wire.offset !== undefined) return this.wire.offset;
    const endpoints = await this.session.endpoints();
    // Before accept(), the connection a listener is making is its newest endpoint.
    const endpoint =
      endpoints.find((e) => e.id === this.sockets.connection) ??
      endpoints.filter((e) => e.parentId !== undefined).at(-1);
    if (endpoint === undefined) throw new Failure('no connection yet to acknowledge');
    this.wire.offset = endpoint.tcb.iss;
    return this.wire.offset;
  }

  private async inbound(time: ScriptTime, segment: ScriptSegment): Promise<LineStatus> {
    const { atUs } = this.scheduled(time);
    await this.settle(atUs);
    const ports = this.sockets.ports;
    if (ports === undefined) {
      throw new Failure('no socket listens or connects yet: nothing to send this segment to');
    }
    const ours = ScriptWire.needsOffset(segment) ? await this.ourOffset() : 0;
    await this.session.inject(this.wire.inject(segment, ports, ours));
    this.lastEventUs = atUs;
    await this.settle(atUs); // it arrives now: the link has no delay
    return 'pass';
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
    const expected = scriptText(segment);
    if (first === undefined) {
      throw new Failure(
        `expected a segment by ${s(toUs)} s; none was sent`,
        expected,
        'nothing sent',
      );
    }
    const burst = this.wire.burst(segment, this.outbound);
    const sentUs = Math.round(first.timeMs * 1000);
    try {
      this.wire.match(segment, burst);
    } catch (error) {
      if (!(error instanceof Mismatch)) throw error;
      throw new Failure(error.message, expected, `${this.wire.describe(burst)} at ${s(sentUs)} s`);
    }
    if (sentUs < fromUs || sentUs > toUs) {
      throw new Failure(
        `timing: expected at ${s(atUs)} s (within ${s(fromUs)}~${s(toUs)}), sent at ${s(sentUs)} s`,
        expected,
        `${this.wire.describe(burst)} at ${s(sentUs)} s`,
      );
    }
    const tsMismatch = this.wire.checkTsVal(
      segment,
      first,
      Math.max(this.toleranceUs, (sentUs * this.tolerancePercent) / 100),
    );
    if (tsMismatch !== undefined)
      throw new Failure(tsMismatch, expected, `${this.wire.describe(burst)} at ${s(sentUs)} s`);
    this.outbound.splice(0, burst.length);
    this.wire.learnTs(segment, first);
    this.lastEventUs = sentUs;
    return 'pass';
  }

  // --- tcp_info -------------------------------------------------------------------------------

  private async runPython(time: ScriptTime, code: string): Promise<LineStatus> {
    const { atUs } = this.scheduled(time);
    await this.settle(atUs);
    const info = await this.tcpInfo();
    try {
      runPython(code, this.python, (name) => {
        if (name in SYMBOLS) return SYMBOLS[name];
        if (info === undefined) return undefined;
        return (info as Record<string, number>)[name];
      });
    } catch (error) {
      if (error instanceof AssertionFailed) {
        throw new Failure(
          error.message,
          `assert ${error.expression}`,
          this.actualFields(error.expression, info),
        );
      }
      if (error instanceof PythonError) throw new Unsupported(`python: ${error.message}`);
      throw error;
    }
    return 'pass';
  }

  /** The tcp_info of the connection under test, when there is one. */
  private async tcpInfo(): Promise<TcpInfo | undefined> {
    const id = this.sockets.connection;
    const endpoints = await this.session.endpoints();
    const endpoint =
      endpoints.find((e) => e.id === id) ??
      endpoints.filter((e) => e.parentId !== undefined).at(-1);
    return endpoint?.tcpInfo;
  }

  /** The tcpi_* fields an assertion names, with their values. */
  private actualFields(expression: string, info: TcpInfo | undefined): string {
    const names = expression.match(/\btcpi_[a-z_]+/g) ?? [];
    return names
      .map((n) => `${n} = ${String((info as Record<string, number> | undefined)?.[n])}`)
      .join(', ');
  }

  // --- system calls -----------------------------------------------------------------------

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
    const { call } = event;
    // A blocking call's end counts from the same point as its start (packetdrill's end_usecs).
    const endUs =
      call.endUs === undefined ? atUs : (event.time.kind === 'relative' ? baseUs : 0) + call.endUs;
    this.lastEventUs = atUs;
    let outcome;
    try {
      outcome = await this.sockets.execute(call);
    } catch (error) {
      if (error instanceof CallFailure)
        throw new Failure(error.message, `= ${call.result}`, error.actual);
      throw error;
    }
    await this.clock({ action: 'advance', ms: 0 });
    if ('blocks' in outcome) {
      this.pending.push({ event, endUs, startUs: atUs, attempt: outcome.blocks });
      await this.tryPending();
      return undefined;
    }
    const failure = this.verdict(call, outcome, atUs, endUs, atUs);
    if (failure !== undefined) throw failure;
    return 'pass';
  }

  /** What is wrong with a finished call's return value or return time, if anything. */
  private verdict(
    call: ScriptCall,
    outcome: CallOutcome,
    returnedUs: number,
    endUs: number,
    startUs: number,
  ): Failure | undefined {
    const expected = `= ${call.result}${call.errno === undefined ? '' : ` ${call.errno}`}`;
    const actual = `= ${outcome.result}${outcome.errno === undefined ? '' : ` ${outcome.errno}`}`;
    // socket() and accept() return descriptors the script names (packetdrill maps them).
    if (expected !== actual)
      return new Failure(`${call.name}() returned ${actual.slice(2)}`, expected, actual);
    const tolerance = Math.max(this.toleranceUs, ((endUs - startUs) * this.tolerancePercent) / 100);
    if (Math.abs(returnedUs - endUs) > tolerance) {
      return new Failure(
        `timing: ${call.name}() returned at ${s(returnedUs)} s, expected at ${s(endUs)} s`,
        `${expected} at ${s(endUs)} s`,
        `${actual} at ${s(returnedUs)} s`,
      );
    }
    return undefined;
  }

  /** Tries every blocked call; each that returns gets its line's verdict. */
  private async tryPending(): Promise<void> {
    for (const pending of [...this.pending]) {
      const outcome = await pending.attempt();
      if (outcome === undefined) continue;
      this.pending = this.pending.filter((p) => p !== pending);
      const failure = this.verdict(
        pending.event.call,
        outcome,
        this.nowUs,
        pending.endUs,
        pending.startUs,
      );
      this.record(
        pending.event,
        failure === undefined ? 'pass' : 'fail',
        failure?.message,
        failure?.expected,
        failure?.actual,
      );
      if (failure !== undefined) throw new Stopped();
    }
  }
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
