/**
 * One endpoint under test and a peer played by hand, in the manner of smoltcp's socket tests:
 * build a state directly, inject a segment, and read the exact segments the endpoint answers.
 * The peer's address has no host, so the endpoint's segments are traced (fate dropped, reason
 * no-host) and go nowhere; the link has no delay, so an injected segment arrives at once.
 */
import { Simulation } from '../src/sim/simulation.js';
import type { EndpointOptions } from '../src/tcp/options.js';
import type { TcpState } from '../src/tcp/state.js';
import type { TraceEvent } from '../src/trace/events.js';
import { formatSegment } from '../src/trace/format.js';
import type { EcnCodepoint } from '../src/wire/ecn.js';
import { Flag, parseFlags } from '../src/wire/flags.js';
import type { TcpOptions } from '../src/wire/options.js';
import { seq } from '../src/wire/seq.js';

export const LOCAL = { address: '10.0.0.1', port: 80 };
export const PEER = { address: '10.0.0.9', port: 40000 };
/** Our ISS and the peer's. */
export const ISS = 1000;
export const PEER_ISS = 100;

export interface SegmentSpec {
  flags: string;
  seq: number;
  ack?: number;
  window?: number;
  options?: TcpOptions;
  data?: string;
  /** The IP ECN field (RFC 3168 §5); Not-ECT when absent. */
  ecn?: EcnCodepoint;
}

export class Lone {
  readonly trace: TraceEvent[] = [];
  private seen = 0;

  constructor(
    readonly sim: Simulation,
    public id: string,
  ) {}

  /** The peer sends `segment`; events due now run. */
  send(segment: SegmentSpec): this {
    const flags = parseFlags(segment.flags);
    if (flags === undefined) throw new Error(`bad flags ${segment.flags}`);
    this.sim.inject(PEER, LOCAL, {
      seq: seq(segment.seq),
      ack: seq(segment.ack ?? 0),
      flags,
      window: segment.window ?? 65535,
      urgent: 0,
      options: segment.options ?? {},
      payload: new TextEncoder().encode(segment.data ?? ''),
      ...(segment.ecn === undefined ? {} : { ecn: segment.ecn }),
    });
    this.sim.advance(0);
    return this;
  }

  /** Moves the clock by `ms`, running every timer due. */
  wait(ms: number): this {
    this.sim.advance(ms);
    return this;
  }

  /** Every trace event since the last call to this or `replies()`. */
  events(): TraceEvent[] {
    this.trace.push(...this.sim.drainTrace());
    const fresh = this.trace.slice(this.seen);
    this.seen = this.trace.length;
    return fresh;
  }

  /** The segments the endpoint under test (or any endpoint here) sent since the last call. */
  replies(): string[] {
    return this.events().flatMap((e) =>
      e.kind === 'segment' && e.src.address === LOCAL.address ? [formatSegment(e)] : [],
    );
  }

  state(): TcpState {
    return this.sim.endpointInfo(this.id).state;
  }

  /** The state changes of the endpoint under test since it was built, with causes. */
  transitions(): string[] {
    this.trace.push(...this.sim.drainTrace());
    return this.trace.flatMap((e) =>
      e.kind === 'state' && e.endpointId === this.id ? [`${e.from} -> ${e.to} (${e.cause})`] : [],
    );
  }

  appEvents(): string[] {
    this.trace.push(...this.sim.drainTrace());
    return this.trace.flatMap((e) =>
      e.kind === 'app' && e.endpointId === this.id
        ? [`${e.event}${e.error ? ` ${e.error}` : ''}`]
        : [],
    );
  }
}

function make(options: Partial<EndpointOptions> = {}): Lone {
  const sim = new Simulation({ seed: 1, link: { delayMs: 0 } });
  const id = sim.addEndpoint({ ...LOCAL, options: { isn: ISS, delayedAckMs: 0, ...options } });
  return new Lone(sim, id);
}

export function closed(options?: Partial<EndpointOptions>): Lone {
  return make(options);
}

export function listening(options?: Partial<EndpointOptions>): Lone {
  const t = make(options);
  t.sim.listen(t.id);
  return t;
}

/** A listener got <SEQ=100><CTL=SYN>; the endpoint under test is the one it made. */
export function synReceived(options?: Partial<EndpointOptions>, synOptions: TcpOptions = {}): Lone {
  const t = listening(options);
  const listener = t.id;
  t.send({ flags: 'S', seq: PEER_ISS, options: { mss: 1460, ...synOptions } });
  const child = t.sim.endpointIds().find((id) => t.sim.endpointInfo(id).parentId === listener);
  if (child === undefined) throw new Error('no child endpoint');
  t.id = child;
  t.replies();
  return t;
}

export function synSent(options?: Partial<EndpointOptions>): Lone {
  const t = make(options);
  t.sim.connect(t.id, PEER);
  t.replies();
  return t;
}

export function established(options?: Partial<EndpointOptions>): Lone {
  const t = synSent(options);
  t.send({ flags: 'S.', seq: PEER_ISS, ack: ISS + 1, options: { mss: 1460 } });
  t.replies();
  return t;
}

export function finWait1(options?: Partial<EndpointOptions>): Lone {
  const t = established(options);
  t.sim.shutdown(t.id);
  t.replies();
  return t;
}

export function finWait2(options?: Partial<EndpointOptions>): Lone {
  const t = finWait1(options);
  t.send({ flags: '.', seq: PEER_ISS + 1, ack: ISS + 2 });
  t.replies();
  return t;
}

export function closeWait(options?: Partial<EndpointOptions>): Lone {
  const t = established(options);
  t.send({ flags: 'F.', seq: PEER_ISS + 1, ack: ISS + 1 });
  t.replies();
  return t;
}

export function lastAck(options?: Partial<EndpointOptions>): Lone {
  const t = closeWait(options);
  t.sim.shutdown(t.id);
  t.replies();
  return t;
}

export function closing(options?: Partial<EndpointOptions>): Lone {
  const t = finWait1(options);
  t.send({ flags: 'F.', seq: PEER_ISS + 1, ack: ISS + 1 });
  t.replies();
  return t;
}

export function timeWait(options?: Partial<EndpointOptions>): Lone {
  const t = finWait2(options);
  t.send({ flags: 'F.', seq: PEER_ISS + 1, ack: ISS + 2 });
  t.replies();
  return t;
}

export { Flag };
