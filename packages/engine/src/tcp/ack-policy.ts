/**
 * When a receiver acknowledges data. RFC 9293 §3.8.6.3 leaves the policy open within two
 * rules (delay less than 0.5 s, MUST-40; at least every second full-sized segment, SHLD-19);
 * the `rfc` policy is the engine's textbook one in input.ts (a fixed delay, every second
 * segment). The `linux` policy is Linux's (net/ipv4/tcp_input.c and tcp_output.c):
 *
 * - **Quick-ACK mode** (tcp_incr_quickack, tcp_in_quickack_mode): at the first data, and
 *   after an idle longer than the RTO, every segment is acknowledged at once for a number of
 *   ACKs (rcv_wnd / (2 * rcv_mss), at least 2, at most TCP_MAX_QUICKACKS = 16), so that the
 *   sender's slow start is not held back by delayed ACKs.
 * - **ato** (tcp_event_data_recv): the delayed-ACK timeout follows the gap between arriving
 *   segments, from TCP_ATO_MIN (40 ms) up, bounded by the RTO; the timer is then bounded by
 *   the smoothed RTT and TCP_DELACK_MAX (200 ms) (tcp_send_delayed_ack).
 * - **Ping-pong (interactive) mode** (tcp_event_data_sent): data sent within ato of the last
 *   arrival marks the connection interactive: no quick ACKs, the ACK waits to ride on the
 *   reply. A delayed-ACK timer that fires leaves it (tcp_delack_timer_handler).
 * - Two full segments unacknowledged are acknowledged at once (__tcp_ack_snd_check), as in
 *   the `rfc` policy.
 */

/** TCP_ATO_MIN and TCP_DELACK_MAX (include/net/tcp.h), in µs. */
const ATO_MIN_US = 40_000;
const DELACK_MAX_US = 200_000;
/** TCP_MAX_QUICKACKS. */
const MAX_QUICKACKS = 16;

export type AckPolicy = 'rfc' | 'linux';

export interface LinuxAckState {
  /** Quick ACKs left (icsk_ack.quick). */
  quick: number;
  /** icsk_ack.ato (µs); 0 before the first data. */
  atoUs: number;
  /** Interactive mode (inet_csk_in_pingpong_mode). */
  pingpong: boolean;
  /** When data last arrived (icsk_ack.lrcvtime, µs). */
  lastReceiveUs: number;
}

export function initialAckState(): LinuxAckState {
  return { quick: 0, atoUs: 0, pingpong: false, lastReceiveUs: 0 };
}

/** What the receiver needs to decide: its window, the segment size it sees, its RTT figures. */
export interface AckContext {
  rcvWnd: number;
  rcvMss: number;
  rtoUs: number;
  srttUs: number | undefined;
}

/** tcp_incr_quickack(): at most `max` quick ACKs, as many as half the window holds. */
function incrQuickAck(s: LinuxAckState, ctx: AckContext, max: number): void {
  let quickacks = Math.floor(ctx.rcvWnd / (2 * Math.max(1, ctx.rcvMss)));
  if (quickacks === 0) quickacks = 2;
  quickacks = Math.min(quickacks, max);
  if (quickacks > s.quick) s.quick = quickacks;
}

/** tcp_event_data_recv(): in-order or out-of-order data arrived at `now`. */
export function onDataReceived(s: LinuxAckState, now: number, ctx: AckContext): void {
  if (s.atoUs === 0) {
    // The first data: quick ACKs, and the smallest ato.
    incrQuickAck(s, ctx, MAX_QUICKACKS);
    s.atoUs = ATO_MIN_US;
  } else {
    const m = now - s.lastReceiveUs;
    if (m <= ATO_MIN_US / 2) {
      // The fastest arrivals: ato moves halfway towards TCP_ATO_MIN/2.
      s.atoUs = Math.floor(s.atoUs / 2) + ATO_MIN_US / 2;
    } else if (m < s.atoUs) {
      s.atoUs = Math.min(Math.floor(s.atoUs / 2) + m, ctx.rtoUs);
    } else if (m > ctx.rtoUs) {
      // Idle longer than the RTO: the sender restarts; help it with quick ACKs.
      incrQuickAck(s, ctx, MAX_QUICKACKS);
    }
  }
  s.lastReceiveUs = now;
}

/**
 * tcp_enter_quickack_mode(): at least `max` quick ACKs (bounded by the window as always), out
 * of interactive mode, ato back to its least. ECN's first CE mark asks for 2.
 */
export function enterQuickAckMode(s: LinuxAckState, ctx: AckContext, max: number): void {
  incrQuickAck(s, ctx, max);
  s.pingpong = false;
  s.atoUs = ATO_MIN_US;
}

/** tcp_in_quickack_mode(). */
export function inQuickAckMode(s: LinuxAckState): boolean {
  return s.quick > 0 && !s.pingpong;
}

/** tcp_dec_quickack_mode(): an ACK was sent while one was due. */
export function onAckSent(s: LinuxAckState): void {
  if (s.quick === 0) return;
  if (s.quick <= 1) {
    s.quick = 0;
    s.atoUs = ATO_MIN_US;
  } else s.quick -= 1;
}

/** tcp_event_data_sent(): a reply within ato of the last arrival makes the exchange interactive. */
export function onDataSent(s: LinuxAckState, now: number): void {
  if (s.atoUs !== 0 && now - s.lastReceiveUs < s.atoUs) s.pingpong = true;
}

/** tcp_delack_timer_handler(): the delayed ACK was not carried by data in time. */
export function onDelayedAckFired(s: LinuxAckState, ctx: AckContext): void {
  if (s.pingpong) {
    s.pingpong = false;
    s.atoUs = ATO_MIN_US;
  } else s.atoUs = Math.min(s.atoUs * 2, ctx.rtoUs);
}

/** tcp_send_delayed_ack(): how long the delayed ACK may wait (µs). */
export function delayedAckTimeoutUs(
  s: LinuxAckState,
  ctx: AckContext,
  delackMinUs: number,
): number {
  let ato = Math.max(s.atoUs, delackMinUs);
  if (ato > delackMinUs) {
    let maxAto = s.pingpong ? DELACK_MAX_US : 500_000;
    if (ctx.srttUs !== undefined) maxAto = Math.min(maxAto, Math.max(ctx.srttUs, delackMinUs));
    ato = Math.min(ato, maxAto);
  }
  return Math.min(ato, DELACK_MAX_US);
}
