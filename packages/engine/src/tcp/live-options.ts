/**
 * Changing an endpoint's options while it lives, as setsockopt does on Linux.
 *
 * - Before the connection exists (CLOSED, or LISTEN, whose options the accepted endpoints
 *   copy), every option may change, and what the connection derives from them (send MSS,
 *   receive window, RTO, congestion controller) is derived again.
 * - Once connected, only these may change: `nagle`, `cork`, `pushFlag`, `userTimeoutMs`,
 *   `sndBuffer`, `rcvBuffer`, `keepalive`. Anything else was agreed in the SYNs or shapes
 *   state already built (MSS: Linux's TCP_MAXSEG is for before connect), and the whole change
 *   is refused with an OptionChangeError before anything is applied.
 * - Setting `nagle: false` pushes what is queued at once, even past a cork, as TCP_NODELAY
 *   does (tcp_sock_set_nodelay: TCP_NAGLE_PUSH); `cork: false` pushes what is queued under
 *   the Nagle setting (__tcp_sock_set_cork), past everything when Nagle is off.
 * - `sndBuffer` only changes what later sends may queue: queued bytes are never dropped, as
 *   with SO_SNDBUF. `rcvBuffer` changes the window offered from the next segment on, and the
 *   window's right edge never moves left (RFC 9293 §3.8.6.2.2), as with SO_RCVBUF; the
 *   window scale agreed in the SYNs caps what it can offer.
 * - `keepalive`: turned on, the idle time starts now (Linux tcp_set_keepalive); turned off,
 *   the timer stops; with new times, the idle time counts from the last segment received
 *   (TCP_KEEPIDLE), unless probes are already under way.
 *
 * Invariant: a refused change leaves the connection exactly as it was.
 */
import { initialWindowBytes, newController } from './congestion/index.js';
import type { Connection } from './connection.js';
import type { EndpointOptions, KeepaliveOptions } from './options.js';
import { initialRtt } from './rtt.js';
import { keepsSegments, SentSegments } from './sent-segments.js';
import type { TcpState } from './state.js';

/** Options a connected endpoint may change. */
export const LIVE_OPTIONS: readonly (keyof EndpointOptions)[] = [
  'nagle',
  'cork',
  'pushFlag',
  'userTimeoutMs',
  'sndBuffer',
  'rcvBuffer',
  'keepalive',
];

/** A change of options the connection cannot take in its state. */
export class OptionChangeError extends Error {
  override readonly name = 'OptionChangeError';
  readonly code = 'OPTION_FIXED';
  constructor(
    /** The options that cannot change now. */
    readonly options: readonly string[],
    readonly state: TcpState,
  ) {
    super(`${options.join(', ')} cannot change once connected (the endpoint is ${state})`);
  }
}

/** The largest window the 16-bit field carries unscaled. */
const MAX_WINDOW = 65535;

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function beforeConnect(state: TcpState): boolean {
  return state === 'CLOSED' || state === 'LISTEN';
}

/** Applies `partial` to `c` at time `now`, or throws OptionChangeError and changes nothing. */
export function changeOptions(c: Connection, now: number, partial: Partial<EndpointOptions>): void {
  const defined = Object.entries(partial).filter(([, value]) => value !== undefined);
  const wanted = Object.fromEntries(defined) as Partial<EndpointOptions>;
  const changed = defined
    .filter(([key, value]) => !sameValue(c.options[key as keyof EndpointOptions], value))
    .map(([key]) => key as keyof EndpointOptions);
  if (!beforeConnect(c.state)) {
    const fixed = changed.filter((key) => !LIVE_OPTIONS.includes(key));
    if (fixed.length > 0) throw new OptionChangeError(fixed, c.state);
  }
  const before = c.options;
  c.options = { ...before, ...wanted };
  if (beforeConnect(c.state)) {
    derive(c);
    return;
  }
  if (changed.includes('keepalive')) changeKeepalive(c, now, before.keepalive);
  // TCP_NODELAY pushes at once, through a cork; uncorking pushes under the Nagle setting.
  const nodelay = wanted.nagle === false;
  const uncork = wanted.cork === false;
  if (nodelay || uncork) {
    c.pushNow = !c.options.nagle;
    c.output(now);
    c.pushNow = false;
  }
}

/** What the connection derives from its options before it connects (as its constructor does). */
function derive(c: Connection): void {
  const o = c.options;
  c.sndMss = o.mss;
  c.rcvWnd = Math.min(o.rcvBuffer, MAX_WINDOW);
  c.rtt = initialRtt(c.rttLimits());
  c.congestion = newController(o.congestion, initialWindowBytes(o.initialWindow, o.mss), o.mss, {
    slowStartExit: o.slowStartExit,
    accounting: o.cwndAccounting,
  });
  c.segments = c.recovery?.segments ?? (keepsSegments(o) ? new SentSegments() : undefined);
}

function changeKeepalive(c: Connection, now: number, before: KeepaliveOptions | false): void {
  const after = c.options.keepalive;
  if (after === false) {
    c.cancelTimer('keepalive');
    c.keepaliveProbes = 0;
    return;
  }
  if (before === false) {
    c.restartKeepalive(now);
    return;
  }
  if (c.state !== 'ESTABLISHED' || c.keepaliveProbes > 0) return;
  c.setTimer('keepalive', Math.max(now, c.lastReceivedUs + after.idleMs * 1000));
}
