/**
 * The Simulation facade: hosts with TCP endpoints, the links between them, a virtual clock in
 * integer microseconds, an event queue and a seeded PRNG. Commands come in (listen, connect,
 * send, receive, shutdown, close, abort, inject, advance); events run in time order; trace
 * events come out, numbered 1, 2, 3, ... Same seed + same commands = same trace.
 */
import { Demux } from '../net/demux.js';
import { applyFaults, type FaultMatch, type FaultAction, type FaultRule } from '../net/faults.js';
import {
  carry,
  DEFAULT_LINK,
  type Carried,
  type LinkSettings,
  type LinkState,
} from '../net/link.js';
import {
  Connection,
  type ConnectionEnv,
  type ConnectionState,
  type Counters,
  type Endpoint,
} from '../tcp/connection.js';
import { segmentArrives, segmentLength } from '../tcp/input.js';
import { resolveOptions, type EndpointOptions } from '../tcp/options.js';
import { profileOptions, type Profile } from '../tcp/profiles.js';
import type { TcpState } from '../tcp/state.js';
import type { TcpInfo } from '../tcp/tcp-info.js';
import type {
  AppError,
  Metrics,
  SegmentLabel,
  TimerKind,
  TraceBody,
  TraceEvent,
} from '../trace/events.js';
import { Flag, formatFlags, hasFlag } from '../wire/flags.js';
import { formatIpv4, parseIpv4 } from '../wire/ipv4.js';
import { encodedOptionsLength } from '../wire/options.js';
import type { TcpSegment } from '../wire/segment.js';
import { seq, seqAdd, seqDiff } from '../wire/seq.js';
import { base64ToBytes, bytesToBase64 } from './bytes.js';
import { EventQueue, type EventQueueState } from './event-queue.js';
import { Prng, type PrngState } from './prng.js';

/** The states in which CLOSE (shutdown or close) means something. */
const OPEN_STATES: TcpState[] = ['LISTEN', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT'];

/** IPv4 + TCP fixed headers: what a segment adds on the wire besides options and data. */
const IP_TCP_HEADERS = 40;

export type SimEvent =
  | { kind: 'deliver'; src: number; dst: number; segment: TcpSegment; corrupted: boolean }
  | { kind: 'wake'; endpointId: string };

/** A segment inside a snapshot: the payload as base64. */
type SegmentJson = Omit<TcpSegment, 'payload'> & { payload: string };
type SimEventJson =
  | { kind: 'deliver'; src: number; dst: number; segment: SegmentJson; corrupted: boolean }
  | { kind: 'wake'; endpointId: string };

/** The whole simulation as plain JSON: `Simulation.restore` continues exactly from here. */
export interface SimulationSnapshot {
  version: 1;
  nowUs: number;
  prng: PrngState;
  queue: EventQueueState<SimEventJson>;
  connections: ConnectionState[];
  names: [string, string][];
  parents: [string, string][];
  links: [string, LinkState][];
  pairLinks: [string, Partial<LinkSettings>][];
  wakeAt: [string, number][];
  linkSettings: LinkSettings;
  defaults: Partial<EndpointOptions>;
  /** Absent in snapshots from before profiles: `rfc`. */
  profile?: Profile;
  faults: FaultRule[];
  nextFault: number;
  nextEndpoint: number;
  nextEventId: number;
  /** Trace events recorded but not yet drained. */
  trace: TraceEvent[];
}

export interface SimulationConfig {
  seed: number;
  /** Settings for every pair of hosts, both directions. */
  link?: Partial<LinkSettings>;
  /** Endpoint options every endpoint starts from, over its profile's. */
  defaults?: Partial<EndpointOptions>;
  /** The profile endpoints start from unless they name their own (profiles.ts): `rfc`. */
  profile?: Profile;
}

export interface EndpointSpec {
  address: string;
  port: number;
  name?: string;
  /** This endpoint's profile, instead of the session's. */
  profile?: Profile;
  options?: Partial<EndpointOptions>;
}

export class SimulationError extends Error {
  override readonly name = 'SimulationError';
  constructor(
    readonly code:
      'BAD_ADDRESS' | 'PORT_IN_USE' | 'NO_SUCH_ENDPOINT' | 'INVALID_STATE' | 'CONNECTION_CLOSING',
    message: string,
  ) {
    super(message);
  }
}

export interface EndpointInfo {
  id: string;
  name: string;
  parentId: string | undefined;
  state: TcpState;
  local: { address: string; port: number };
  remote: { address: string; port: number } | undefined;
  error: AppError | undefined;
}

/** STATUS (RFC 9293 §3.10.6): the state, the TCB and what the buffers hold. */
export interface EndpointStatus extends EndpointInfo {
  tcb: {
    iss: number;
    irs: number;
    sndUna: number;
    sndNxt: number;
    sndWnd: number;
    rcvNxt: number;
    rcvWnd: number;
    /** The send MSS in use. */
    mss: number;
  };
  metrics: Metrics;
  counters: Counters;
  /** Linux's tcp_info for the connection (net/ipv4/tcp.c tcp_get_info). */
  tcpInfo: TcpInfo;
  timers: { kind: TimerKind; expiresUs: number }[];
  buffered: {
    /** Bytes queued to send and not yet acknowledged. */
    send: number;
    /** Of those, bytes not yet sent. */
    unsent: number;
    /** Bytes received, in order, not yet read by the application. */
    received: number;
    /** Bytes received out of order, waiting for a gap to fill. */
    outOfOrder: number;
  };
}

export class Simulation {
  nowUs = 0;
  private prng: Prng;
  private queue = new EventQueue<SimEvent>();
  private readonly connections = new Map<string, Connection>();
  private readonly demux = new Demux();
  private readonly optionSets = new Map<string, EndpointOptions>();
  private readonly addressTexts = new Map<number, string>();
  private readonly names = new Map<string, string>();
  private readonly parents = new Map<string, string>();
  /** Queue and loss-channel state by pair of hosts (see linkId), kept where settings use it. */
  private readonly links = new Map<number, { src: number; dst: number; state: LinkState }>();
  /** A small number per host address that has a link state, so that a pair is one number. */
  private readonly hostNumbers = new Map<number, number>();
  /** Settings for one direction between two hosts, over the session's (`from>to` as numbers). */
  private readonly pairLinks = new Map<string, Partial<LinkSettings>>();
  /** The wake-up pending for each endpoint (at most one that matters: the earliest). */
  private readonly wakeAt = new Map<string, number>();
  private linkSettings: LinkSettings;
  private defaults: Partial<EndpointOptions>;
  private readonly profile: Profile;
  private faults: FaultRule[] = [];
  private nextFault = 1;
  private nextEndpoint = 1;
  private nextEventId = 1;
  private trace: TraceEvent[] = [];
  private readonly env: ConnectionEnv;

  constructor(config: SimulationConfig) {
    this.prng = Prng.fromSeed(config.seed);
    this.linkSettings = { ...DEFAULT_LINK, ...config.link };
    this.defaults = config.defaults ?? {};
    this.profile = config.profile ?? 'rfc';
    this.env = {
      transmit: (connection, segment, label) => {
        this.send(
          connection.local.address,
          connection.remote?.address ?? 0,
          segment,
          connection.id,
          label,
        );
      },
      trace: (body) => this.record(body),
    };
  }

  // --- snapshots -----------------------------------------------------------------------------

  snapshot(): SimulationSnapshot {
    const queue = this.queue.state();
    return structuredClone({
      version: 1 as const,
      nowUs: this.nowUs,
      prng: this.prng.state(),
      queue: {
        nextOrder: queue.nextOrder,
        entries: queue.entries.map((e) => ({ ...e, event: eventToJson(e.event) })),
      },
      connections: [...this.connections.values()].map((c) => c.toState()),
      names: [...this.names],
      parents: [...this.parents],
      links: [...this.links.values()].map((l) => [`${l.src}>${l.dst}`, copyLinkState(l.state)]),
      pairLinks: [...this.pairLinks],
      wakeAt: [...this.wakeAt],
      linkSettings: this.linkSettings,
      defaults: this.defaults,
      profile: this.profile,
      faults: this.faults,
      nextFault: this.nextFault,
      nextEndpoint: this.nextEndpoint,
      nextEventId: this.nextEventId,
      trace: this.trace,
    });
  }

  static restore(snapshot: SimulationSnapshot): Simulation {
    const s = structuredClone(snapshot);
    const sim = new Simulation({
      seed: 0,
      link: s.linkSettings,
      defaults: s.defaults,
      profile: s.profile ?? 'rfc',
    });
    sim.nowUs = s.nowUs;
    sim.prng = Prng.fromState(s.prng);
    sim.queue = new EventQueue<SimEvent>({
      nextOrder: s.queue.nextOrder,
      entries: s.queue.entries.map((e) => ({ ...e, event: eventFromJson(e.event) })),
    });
    for (const [k, v] of s.names) sim.names.set(k, v);
    for (const [k, v] of s.parents) sim.parents.set(k, v);
    for (const state of s.connections) {
      const c = Connection.fromState(state, sim.env);
      sim.connections.set(c.id, c);
      sim.demux.add(c, sim.parents.get(c.id));
    }
    for (const [key, state] of s.links) {
      const [src, dst] = key.split('>').map(Number) as [number, number];
      sim.links.set(sim.linkId(src, dst), { src, dst, state: copyLinkState(state) });
    }
    for (const [k, v] of s.pairLinks) sim.pairLinks.set(k, v);
    for (const [k, v] of s.wakeAt) sim.wakeAt.set(k, v);
    sim.faults = s.faults;
    sim.nextFault = s.nextFault;
    sim.nextEndpoint = s.nextEndpoint;
    sim.nextEventId = s.nextEventId;
    sim.trace = s.trace;
    return sim;
  }

  // --- endpoints and user calls ---------------------------------------------------------------

  addEndpoint(spec: EndpointSpec): string {
    const address = parseAddress(spec.address);
    const owner = this.demux.portOwner(address, spec.port);
    if (owner !== undefined) {
      throw new SimulationError(
        'PORT_IN_USE',
        `${spec.address}:${spec.port} is in use by ${owner.id}`,
      );
    }
    const id = `e${this.nextEndpoint++}`;
    // Its profile first, then the session's defaults, then its own options (profiles.ts).
    const profile = profileOptions(spec.profile ?? this.profile);
    const options = this.internOptions(
      resolveOptions({ ...profile, ...this.defaults, ...spec.options }),
    );
    const connection = new Connection(id, { address, port: spec.port }, options, this.env);
    this.connections.set(id, connection);
    this.demux.add(connection);
    this.names.set(id, spec.name ?? id);
    return id;
  }

  listen(id: string): void {
    this.call(id, (c) => {
      this.expectState(c, ['CLOSED'], 'listen');
      c.listen();
    });
  }

  connect(id: string, remote: { address: string; port: number }): void {
    const address = parseAddress(remote.address);
    this.call(id, (c) => {
      // From LISTEN too: RFC 9293 §3.10.1 turns a passive OPEN into an active one.
      this.expectState(c, ['CLOSED', 'LISTEN'], 'connect');
      c.connect(this.nowUs, { address, port: remote.port }, this.chooseIss(c));
    });
  }

  /**
   * SEND: returns the bytes accepted into the send buffer. The bytes are copied, unless
   * `transfer` says the caller hands them over and will never change them (a buffer made for
   * this call, such as a decoded request body): then they are queued without a copy. `more`
   * is Linux's MSG_MORE: the application has more to send at once, so a partial segment waits.
   */
  sendData(
    id: string,
    data: Uint8Array,
    { transfer = false, more = false }: { transfer?: boolean; more?: boolean } = {},
  ): number {
    return this.call(id, (c) => {
      if (c.finQueued) throw new SimulationError('CONNECTION_CLOSING', `${id}: connection closing`);
      this.expectState(c, ['SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED', 'CLOSE-WAIT'], 'send');
      return c.send(this.nowUs, data, transfer, more);
    });
  }

  /**
   * Changes an endpoint's options now, as setsockopt does; throws OptionChangeError (and
   * changes nothing) for an option that cannot change in the endpoint's state.
   */
  setOptions(id: string, options: Partial<EndpointOptions>): void {
    this.call(id, (c) => c.setOptions(this.nowUs, options));
  }

  /** RECEIVE: up to `max` bytes the application has not read; `eof` once the peer's FIN is read. */
  receive(id: string, max = Number.MAX_SAFE_INTEGER): { data: Uint8Array; eof: boolean } {
    return this.call(id, (c) => {
      const data = c.receive(this.nowUs, max);
      return { data, eof: c.peerFinished && c.readable.length === 0 };
    });
  }

  /** CLOSE of RFC 9293 (shutdown(SHUT_WR)): no more data from us; we still receive. */
  shutdown(id: string): void {
    this.call(id, (c) => {
      this.expectState(c, OPEN_STATES, 'shutdown');
      c.shutdown(this.nowUs);
    });
  }

  /** close() as a kernel does it: CLOSE, and RST if unread data would be lost. */
  close(id: string): void {
    this.call(id, (c) => {
      this.expectState(c, OPEN_STATES, 'close');
      c.close(this.nowUs);
    });
  }

  abort(id: string): void {
    this.call(id, (c) => c.abort(this.nowUs));
  }

  endpointInfo(id: string): EndpointInfo {
    const c = this.endpoint(id);
    return {
      id,
      name: this.names.get(id) ?? id,
      parentId: this.parents.get(id),
      state: c.state,
      local: { address: this.addressText(c.local.address), port: c.local.port },
      remote: c.remote && { address: this.addressText(c.remote.address), port: c.remote.port },
      error: c.error,
    };
  }

  /** STATUS (RFC 9293 §3.10.6). */
  status(id: string): EndpointStatus {
    const c = this.endpoint(id);
    const sent = Math.max(0, seqDiff(c.sndNxt, c.sndQueueSeq));
    return {
      ...this.endpointInfo(id),
      tcb: {
        iss: c.iss,
        irs: c.irs,
        sndUna: c.sndUna,
        sndNxt: c.sndMax,
        sndWnd: c.sndWnd,
        rcvNxt: c.rcvNxt,
        rcvWnd: c.rcvWnd,
        mss: c.sndMss,
      },
      metrics: c.metrics(),
      counters: { ...c.counters },
      tcpInfo: c.tcpInfo(this.nowUs),
      timers: (Object.entries(c.armedTimers()) as [TimerKind, number][])
        .map(([kind, expiresUs]) => ({ kind, expiresUs }))
        .sort((a, b) => a.expiresUs - b.expiresUs),
      buffered: {
        send: c.sndQueue.length,
        unsent: Math.max(0, c.sndQueue.length - sent),
        received: c.readable.length,
        outOfOrder: c.outOfOrder.reduce((sum, o) => sum + o.data.length, 0),
      },
    };
  }

  /**
   * The bytes every endpoint holds: queued to send (until acknowledged), received and not yet
   * read, received out of order. What the service bounds a tenant's memory by.
   */
  heldBytes(): number {
    let held = 0;
    for (const c of this.connections.values()) {
      held += c.sndQueue.length + c.readable.length;
      for (const o of c.outOfOrder) held += o.data.length;
    }
    return held;
  }

  /** The connection object, for tests and the status call (STATUS, §3.10.6). */
  connection(id: string): Connection {
    return this.endpoint(id);
  }

  endpointIds(): string[] {
    return [...this.connections.keys()];
  }

  /** Sends a hand-made segment from `src` to `dst` through the links, as a peer would. */
  inject(
    src: { address: string; port: number },
    dst: { address: string; port: number },
    segment: Omit<TcpSegment, 'srcPort' | 'dstPort'>,
  ): void {
    this.send(
      parseAddress(src.address),
      parseAddress(dst.address),
      { ...segment, srcPort: src.port, dstPort: dst.port },
      undefined,
    );
  }

  /** Changes the link settings between every pair of hosts (those not set on their own). */
  setLink(settings: Partial<LinkSettings>): void {
    this.linkSettings = { ...this.linkSettings, ...settings };
  }

  /** Sets the link from `from` to `to` (and back, unless `oneWay`) apart from the rest. */
  setPairLink(from: string, to: string, settings: Partial<LinkSettings>, oneWay = false): void {
    const a = parseAddress(from);
    const b = parseAddress(to);
    const keys = oneWay ? [`${a}>${b}`] : [`${a}>${b}`, `${b}>${a}`];
    for (const key of keys) this.pairLinks.set(key, { ...this.pairLinks.get(key), ...settings });
  }

  /** The settings in force from one host to another. */
  linkBetween(from: string, to: string): LinkSettings {
    return this.linkFor(`${parseAddress(from)}>${parseAddress(to)}`);
  }

  /** The queue and loss-channel state of one direction; kept only where the settings use it. */
  private linkState(src: number, dst: number, settings: LinkSettings): LinkState {
    if (settings.rateMbps === 0 && settings.burstLoss === undefined) return STATELESS_LINK;
    const id = this.linkId(src, dst);
    let link = this.links.get(id);
    if (link === undefined) {
      link = { src, dst, state: { departuresUs: [], bad: false } };
      this.links.set(id, link);
    }
    return link.state;
  }

  /** One exact number per ordered pair of hosts (up to 2^26 hosts), without building a string. */
  private linkId(src: number, dst: number): number {
    return this.hostNumber(src) * HOST_PAIR_FACTOR + this.hostNumber(dst);
  }

  private hostNumber(address: number): number {
    let n = this.hostNumbers.get(address);
    if (n === undefined) {
      n = this.hostNumbers.size;
      this.hostNumbers.set(address, n);
    }
    return n;
  }

  private linkFor(key: string): LinkSettings {
    const pair = this.pairLinks.get(key);
    return pair === undefined ? this.linkSettings : { ...this.linkSettings, ...pair };
  }

  /** Adds a fault rule; returns its id. */
  addFault(match: FaultMatch, action: FaultAction, delayMs?: number): string {
    const id = `f${this.nextFault++}`;
    this.faults.push({
      id,
      match,
      action,
      ...(delayMs === undefined ? {} : { delayMs }),
      seen: 0,
      applied: 0,
    });
    return id;
  }

  /** The fault rules in force, with how many segments each has seen and affected. */
  faultRules(): FaultRule[] {
    return this.faults.map((rule) => ({ ...rule, match: { ...rule.match } }));
  }

  removeFault(id: string): boolean {
    const index = this.faults.findIndex((f) => f.id === id);
    if (index >= 0) this.faults.splice(index, 1);
    return index >= 0;
  }

  // --- the clock --------------------------------------------------------------------------------

  /** The id of the last trace event recorded (0 before the first). */
  get lastEventId(): number {
    return this.nextEventId - 1;
  }

  /** The time of the next event in microseconds, or undefined when nothing is pending. */
  nextEventTime(): number | undefined {
    this.discardStaleWakes();
    return this.queue.peekTime();
  }

  /** Runs the next event (and moves the clock to it); false when there is none. */
  step(): boolean {
    this.discardStaleWakes();
    const next = this.queue.pop();
    if (next === undefined) return false;
    this.nowUs = Math.max(this.nowUs, next.at);
    this.run(next.event);
    return true;
  }

  /** Runs every event up to `nowUs + ms`, then sets the clock there. */
  advance(ms: number): void {
    const until = this.nowUs + Math.round(ms * 1000);
    for (let t = this.nextEventTime(); t !== undefined && t <= until; t = this.nextEventTime()) {
      this.step();
    }
    this.nowUs = until;
  }

  /** Runs until nothing is pending or `maxMs` of virtual time have passed; true when idle. */
  runUntilIdle(maxMs: number): boolean {
    const until = this.nowUs + Math.round(maxMs * 1000);
    for (let t = this.nextEventTime(); t !== undefined; t = this.nextEventTime()) {
      if (t > until) {
        this.nowUs = until;
        return false;
      }
      this.step();
    }
    return true;
  }

  /** Trace events recorded since the last call. */
  drainTrace(): TraceEvent[] {
    return this.trace.splice(0);
  }

  // --- internals --------------------------------------------------------------------------------

  private endpoint(id: string): Connection {
    const c = this.connections.get(id);
    if (c === undefined) throw new SimulationError('NO_SUCH_ENDPOINT', `no endpoint ${id}`);
    return c;
  }

  private expectState(c: Connection, allowed: TcpState[], call: string): void {
    if (!allowed.includes(c.state)) {
      throw new SimulationError('INVALID_STATE', `${call} is not possible in ${c.state} (${c.id})`);
    }
  }

  private chooseIss(c: Connection) {
    // RFC 9293 §3.4.1 in spirit: unpredictable per connection, here drawn from the seeded PRNG.
    return seq(c.options.isn ?? this.prng.nextU32());
  }

  private record(body: TraceBody): void {
    // Every body is a fresh literal made for this call: stamping it in place saves a copy of
    // each event, the hottest allocation of a bulk transfer.
    const event = body as TraceEvent;
    event.eventId = this.nextEventId++;
    event.timeUs = this.nowUs;
    this.trace.push(event);
    if (body.kind === 'state') {
      const c = this.connections.get(body.endpointId);
      if (c !== undefined) this.demux.update(c);
    }
  }

  /** Dotted-quad text of a host address, formatted once per address. */
  private addressText(address: number): string {
    let text = this.addressTexts.get(address);
    if (text === undefined) {
      text = formatIpv4(address);
      this.addressTexts.set(address, text);
    }
    return text;
  }

  /** Schedules a wake-up at the connection's earliest timer, unless one as early is pending. */
  private wake(c: Connection): void {
    const at = c.nextDeadline();
    if (at === undefined) return;
    const pending = this.wakeAt.get(c.id);
    if (pending !== undefined && pending <= at) return;
    this.wakeAt.set(c.id, at);
    this.queue.schedule(at, { kind: 'wake', endpointId: c.id });
  }

  /** Endpoints with the same options share one (read-only) options object. */
  private internOptions(options: EndpointOptions): EndpointOptions {
    const key = JSON.stringify(options);
    const known = this.optionSets.get(key);
    if (known !== undefined) return known;
    this.optionSets.set(key, options);
    return options;
  }

  /** Runs a user call on an endpoint, then schedules its next wake-up. */
  private call<T>(id: string, action: (c: Connection) => T): T {
    const c = this.endpoint(id);
    const result = action(c);
    this.wake(c);
    return result;
  }

  /**
   * Drops wake-ups whose timer was cancelled or moved later (re-arming the later one), so
   * that the clock never jumps to a time where nothing happens.
   */
  private discardStaleWakes(): void {
    for (let head = this.queue.peek(); head?.event.kind === 'wake'; head = this.queue.peek()) {
      const { endpointId } = head.event;
      const c = this.connections.get(endpointId);
      const due = c?.nextDeadline();
      if (c !== undefined && due !== undefined && due <= head.at) return; // a real timer
      this.queue.pop();
      if (this.wakeAt.get(endpointId) === head.at) this.wakeAt.delete(endpointId);
      if (c !== undefined) this.wake(c);
    }
  }

  private run(event: SimEvent): void {
    if (event.kind === 'wake') {
      if (this.wakeAt.get(event.endpointId) === this.nowUs) this.wakeAt.delete(event.endpointId);
      const c = this.connections.get(event.endpointId);
      if (c === undefined) return;
      c.onTimers(this.nowUs);
      this.wake(c);
      return;
    }
    this.deliver(event.src, event.dst, event.segment, event.corrupted);
  }

  /** Puts a segment on the link from `src` to `dst` and traces its fate. */
  private send(
    src: number,
    dst: number,
    segment: TcpSegment,
    endpointId: string | undefined,
    label?: SegmentLabel,
  ): void {
    const packetBytes =
      IP_TCP_HEADERS + encodedOptionsLength(segment.options) + segment.payload.length;
    const hostExists = this.demux.hostExists(dst);
    const srcAddress = { address: this.addressText(src), port: segment.srcPort };
    const dstAddress = { address: this.addressText(dst), port: segment.dstPort };
    const flags = formatFlags(segment.flags);
    const fault =
      this.faults.length === 0
        ? undefined
        : applyFaults(this.faults, { src: srcAddress, dst: dstAddress, flags });
    let carried: Carried;
    if (!hostExists) {
      carried = { fate: 'dropped', reason: 'no-host', arrivalsUs: [], corrupted: false };
    } else if (fault?.action === 'drop') {
      carried = { fate: 'dropped', reason: `fault ${fault.id}`, arrivalsUs: [], corrupted: false };
    } else {
      const settings =
        this.pairLinks.size === 0 ? this.linkSettings : this.linkFor(`${src}>${dst}`);
      carried = carry(
        this.nowUs,
        packetBytes,
        settings,
        this.linkState(src, dst, settings),
        this.prng,
        segment.ecn,
      );
      carried = fault === undefined ? carried : applyFaultAction(carried, fault);
    }
    if (carried.queue !== undefined) {
      this.record({
        kind: 'link',
        from: srcAddress.address,
        to: dstAddress.address,
        queuePackets: carried.queue.packets,
        queueDelayUs: carried.queue.delayUs,
      });
    }
    this.record({
      kind: 'segment',
      endpointId,
      src: srcAddress,
      dst: dstAddress,
      flags,
      seq: segment.seq,
      ack: segment.ack,
      window: segment.window,
      len: segment.payload.length,
      options: segment.options,
      ecn: segment.ecn,
      fate: carried.fate,
      reason: carried.reason,
      label,
      arrivesUs: carried.arrivalsUs[0],
    });
    // RFC 3168 §5: a packet the queue marked arrives with CE.
    const arriving: TcpSegment = carried.marked ? { ...segment, ecn: 'ce' } : segment;
    for (const at of carried.arrivalsUs) {
      this.queue.schedule(at, {
        kind: 'deliver',
        src,
        dst,
        segment: arriving,
        corrupted: carried.corrupted,
      });
    }
  }

  /** A segment reaches host `dst`: demultiplex it to a connection, a listener, or a closed port. */
  private deliver(src: number, dst: number, segment: TcpSegment, corrupted: boolean): void {
    if (corrupted) return; // the receiver's checksum fails: dropped (traced when sent)
    const connected = this.demux.connection(dst, segment.dstPort, src, segment.srcPort);
    if (connected !== undefined) {
      segmentArrives(connected, this.nowUs, segment);
      this.wake(connected);
      return;
    }
    const listener = this.demux.listener(dst, segment.dstPort);
    if (listener !== undefined) {
      this.listenerArrives(listener, src, segment);
      return;
    }
    this.closedArrives(src, dst, segment);
  }

  /** RFC 9293 §3.10.7.1: no connection: answer with a RST unless the segment is one. */
  private closedArrives(src: number, dst: number, s: TcpSegment): void {
    if (hasFlag(s.flags, Flag.RST)) return;
    const reply: TcpSegment = hasFlag(s.flags, Flag.ACK)
      ? { ...blank(s), seq: s.ack, ack: seq(0), flags: Flag.RST } // <SEQ=SEG.ACK><CTL=RST>
      : {
          ...blank(s),
          seq: seq(0),
          ack: seqAdd(s.seq, segmentLength(s)),
          flags: Flag.RST | Flag.ACK,
        };
    this.send(dst, src, reply, undefined);
  }

  /** RFC 9293 §3.10.7.2: a segment for a listener. */
  private listenerArrives(listener: Connection, src: number, s: TcpSegment): void {
    if (hasFlag(s.flags, Flag.RST)) return; // first: an incoming RST is ignored
    if (hasFlag(s.flags, Flag.ACK)) {
      // second: an ACK to a listener is bad: <SEQ=SEG.ACK><CTL=RST>
      this.send(
        listener.local.address,
        src,
        { ...blank(s), seq: s.ack, ack: seq(0), flags: Flag.RST },
        listener.id,
      );
      return;
    }
    if (!hasFlag(s.flags, Flag.SYN)) return; // fourth: anything else is dropped
    const halfOpen = this.demux.halfOpenCount(listener.id);
    if (halfOpen >= listener.options.backlog) {
      this.record({
        kind: 'app',
        endpointId: listener.id,
        event: 'dropped-syn',
        bytes: undefined,
        error: undefined,
        detail: `backlog of ${listener.options.backlog} half-open connections is full`,
      });
      return;
    }
    // third: the SYN makes a new endpoint of its own, in SYN-RECEIVED.
    const id = `e${this.nextEndpoint++}`;
    const child = new Connection(id, { ...listener.local }, listener.options, this.env);
    this.connections.set(id, child);
    this.names.set(id, `${this.names.get(listener.id) ?? listener.id}#${id}`);
    this.parents.set(id, listener.id);
    this.demux.add(child, listener.id);
    this.record({
      kind: 'app',
      endpointId: id,
      event: 'accepted',
      bytes: undefined,
      error: undefined,
      detail: `from listener ${listener.id}`,
    });
    const remote: Endpoint = { address: src, port: s.srcPort };
    child.acceptSyn(this.nowUs, remote, s, this.chooseIss(child));
    this.wake(child);
  }
}

/** 2^26: host numbers stay below it, so a pair of them is exact in a double. */
const HOST_PAIR_FACTOR = 67_108_864;

/** What a link without rate or bursty loss is given: carry() reads nothing from it. */
const STATELESS_LINK: LinkState = Object.freeze({
  departuresUs: Object.freeze([]) as unknown as number[],
  bad: false,
});

/** Link state is changed in place as packets pass: snapshots take their own copy. */
function copyLinkState(state: LinkState): LinkState {
  return { ...state, departuresUs: [...state.departuresUs] };
}

function eventToJson(event: SimEvent): SimEventJson {
  if (event.kind === 'wake') return event;
  return { ...event, segment: { ...event.segment, payload: bytesToBase64(event.segment.payload) } };
}

function eventFromJson(event: SimEventJson): SimEvent {
  if (event.kind === 'wake') return event;
  return { ...event, segment: { ...event.segment, payload: base64ToBytes(event.segment.payload) } };
}

/** What a fault rule (other than drop) does to a segment the link carries. */
function applyFaultAction(carried: Carried, fault: FaultRule): Carried {
  if (carried.fate === 'dropped') return carried;
  const reason = `fault ${fault.id}`;
  switch (fault.action) {
    case 'delay': {
      const extra = Math.round((fault.delayMs ?? 0) * 1000);
      return { ...carried, reason, arrivalsUs: carried.arrivalsUs.map((t) => t + extra) };
    }
    case 'duplicate':
      return {
        ...carried,
        fate: 'duplicated',
        reason,
        arrivalsUs: [...carried.arrivalsUs, carried.arrivalsUs[0] ?? 0],
      };
    case 'corrupt':
      return { ...carried, fate: 'corrupted', reason, corrupted: true };
    default:
      return carried;
  }
}

function blank(s: TcpSegment): TcpSegment {
  return {
    srcPort: s.dstPort,
    dstPort: s.srcPort,
    seq: seq(0),
    ack: seq(0),
    flags: 0,
    window: 0,
    urgent: 0,
    options: {},
    payload: new Uint8Array(),
  };
}

function parseAddress(text: string): number {
  const parsed = parseIpv4(text);
  if (!parsed.ok) throw new SimulationError('BAD_ADDRESS', `not an IPv4 address: "${text}"`);
  return parsed.value;
}
