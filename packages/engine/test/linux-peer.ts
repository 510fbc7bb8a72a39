/**
 * A passive endpoint under test and a peer played by hand (lone.ts), set up the way Linux's
 * packetdrill scripts begin: the peer's SYN offers an MSS of 1000 and window scale 7, and its
 * ACK of the SYN-ACK comes one RTT later, so the endpoint starts with an RTT sample.
 */
import type { EndpointOptions } from '../src/tcp/options.js';
import type { TraceEvent } from '../src/trace/events.js';
import { formatSegment } from '../src/trace/format.js';
import { ISS, listening, LOCAL, PEER_ISS, type Lone } from './lone.js';

/** Our first data byte, and the peer's next sequence number. */
export const DATA = ISS + 1;
export const PEER_NEXT = PEER_ISS + 1;

export interface PeerSetup {
  mss?: number;
  /** The peer's window field, scaled by 2^7 once established. */
  window?: number;
  rttMs?: number;
}

/** The endpoint a listener accepted, ESTABLISHED at time rttMs. */
export function accepted(options: Partial<EndpointOptions>, setup: PeerSetup = {}): Lone {
  const { mss = 1000, window = 257, rttMs = 100 } = setup;
  const t = listening({ windowScale: 8, ...options });
  const listener = t.id;
  t.send({ flags: 'S', seq: PEER_ISS, window: 32792, options: { mss, wscale: 7 } });
  const child = t.sim.endpointIds().find((id) => t.sim.endpointInfo(id).parentId === listener);
  if (child === undefined) throw new Error('no child endpoint');
  t.id = child;
  t.wait(rttMs);
  t.send({ flags: '.', seq: PEER_NEXT, ack: DATA, window });
  t.replies();
  return t;
}

/** The peer acknowledges up to `ack` (our sequence numbers). */
export function ack(t: Lone, to: number, window = 257): Lone {
  return t.send({ flags: '.', seq: PEER_NEXT, ack: to, window });
}

type SegmentEvent = Extract<TraceEvent, { kind: 'segment' }>;

/**
 * The data segments the endpoint sent since the last call, as `flags seq:end(len)` (the
 * packetdrill view, without ack and window), each with its time in ms if `timed`.
 */
export function sent(t: Lone, timed = false): string[] {
  return t
    .events()
    .filter((e): e is SegmentEvent => e.kind === 'segment' && e.src.address === LOCAL.address)
    .map((e) => {
      const line = formatSegment(e).split(' ack ')[0] ?? '';
      return timed ? `${e.timeUs / 1000} ${line}` : line;
    });
}
