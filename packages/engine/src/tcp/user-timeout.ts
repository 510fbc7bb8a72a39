/**
 * The user timeout (option `userTimeoutMs`): RFC 5482 §1 defines it as how long transmitted
 * data may stay unacknowledged before the connection is forcefully closed, and RFC 9293
 * §3.10.8 (USER TIMEOUT) closes the connection with an error when it expires. Timed the way
 * Linux's TCP_USER_TIMEOUT is (net/ipv4/tcp_timer.c):
 *
 * - Retransmissions: the clock starts at the first retransmission of an episode (Linux's
 *   retrans_stamp, the time tcp_retransmit_skb first resends) or, for an active open, at the
 *   first SYN (tcp_connect). The episode ends when SND.UNA passes everything retransmitted
 *   (tcp_try_to_open clears retrans_stamp). At a retransmission timeout after at least one
 *   earlier one, the connection is aborted once the time is up (tcp_write_timeout,
 *   retransmits_timed_out); the timer is re-armed for no later than that moment
 *   (tcp_clamp_rto_to_user_timeout). `dataRetries` no longer applies; `synRetries` still does.
 *   A passive open's SYN-ACK is not covered (Linux's request socket ignores it).
 * - Zero-window probes: the clock starts when the probe timer first fires and runs until the
 *   window opens or data is in flight (icsk_probes_tstamp); the probe timer aborts once the
 *   time is up, answered probes or not (tcp_probe_timer), and is re-armed for no later than
 *   that, at least 2 ms ahead (tcp_clamp_probe0_to_user_timeout).
 * - Keep-alive: with a user timeout, the connection dies when a probe has gone unanswered and
 *   nothing has arrived for that long, whatever the probe count (tcp_keepalive_timer).
 *
 * The abort is ETIMEDOUT without a RST, as tcp_write_err does it.
 *
 * Invariants: the state is plain JSON; with `userTimeoutMs` 0 nothing here changes what the
 * connection does.
 */
import { seq, seqAdd, seqGt, seqLe, type SeqNum } from '../wire/seq.js';
import type { TcpState } from './state.js';

/** Linux fires an expired retransmission timer one jiffy later (HZ=1000). */
const EXPIRED_DELAY_US = 1_000;
/** TCP_TIMEOUT_MIN: the shortest probe timer Linux arms, 2 jiffies. */
const PROBE_MIN_US = 2_000;

export interface UserTimeoutState {
  /** When the current retransmission episode began (Linux's retrans_stamp). */
  retransmittedUs: number | undefined;
  /** The end of the highest sequence number retransmitted in it. */
  retransmittedTo: number | undefined;
  /** When the probe timer first fired with the window closed (icsk_probes_tstamp). */
  probingUs: number | undefined;
}

export function noUserTimeout(): UserTimeoutState {
  return { retransmittedUs: undefined, retransmittedTo: undefined, probingUs: undefined };
}

/** What this module reads of a connection. */
export interface UserTimeoutView {
  userTimeout: UserTimeoutState;
  options: { userTimeoutMs: number };
  sndUna: SeqNum;
  retries: number;
  passive: boolean;
  lastReceivedUs: number;
  keepaliveProbes: number;
}

function limitUs(c: UserTimeoutView): number {
  return c.options.userTimeoutMs * 1000;
}

function off(c: UserTimeoutView): boolean {
  return !(c.options.userTimeoutMs > 0);
}

/** The episode is over once SND.UNA has passed everything retransmitted in it. */
function settle(c: UserTimeoutView): void {
  const to = c.userTimeout.retransmittedTo;
  if (to !== undefined && seqLe(seq(to), c.sndUna)) {
    c.userTimeout.retransmittedUs = undefined;
    c.userTimeout.retransmittedTo = undefined;
  }
}

/** A segment occupying [at, at + length) was sent: a first SYN or a retransmission starts the clock. */
export function noteSent(
  c: UserTimeoutView,
  nowUs: number,
  at: SeqNum,
  length: number,
  kind: 'syn' | 'retransmission',
): void {
  const u = c.userTimeout;
  const end = seqAdd(at, length);
  if (kind === 'syn') {
    // An active open's first SYN (Linux's tcp_connect sets retrans_stamp).
    u.retransmittedUs = nowUs;
    u.retransmittedTo = end;
    return;
  }
  settle(c);
  u.retransmittedUs ??= nowUs;
  if (u.retransmittedTo === undefined || seqGt(end, seq(u.retransmittedTo)))
    u.retransmittedTo = end;
}

/** At a retransmission timeout: has the user timeout expired? */
export function retransmissionsTimedOut(
  c: UserTimeoutView,
  nowUs: number,
  state: TcpState,
): boolean {
  if (off(c)) return false;
  if (state === 'SYN-RECEIVED' && c.passive) return false;
  settle(c);
  const since = c.userTimeout.retransmittedUs;
  return c.retries > 0 && since !== undefined && nowUs - since >= limitUs(c);
}

/** The delay to arm the retransmission timer with: never past the user timeout's expiry. */
export function clampRto(c: UserTimeoutView, nowUs: number, rtoUs: number): number {
  if (off(c) || c.retries === 0) return rtoUs;
  settle(c);
  const since = c.userTimeout.retransmittedUs;
  if (since === undefined) return rtoUs;
  const remaining = limitUs(c) - (nowUs - since);
  return remaining <= 0 ? EXPIRED_DELAY_US : Math.min(rtoUs, remaining);
}

/** The probe timer fired with data waiting and nothing in flight: has the user timeout expired? */
export function probingTimedOut(c: UserTimeoutView, nowUs: number): boolean {
  const since = c.userTimeout.probingUs;
  if (since === undefined) {
    c.userTimeout.probingUs = nowUs;
    return false;
  }
  return !off(c) && nowUs - since >= limitUs(c);
}

/** The delay to arm the probe timer with: never past the user timeout's expiry. */
export function clampProbe(c: UserTimeoutView, nowUs: number, delayUs: number): number {
  const since = c.userTimeout.probingUs;
  if (off(c) || since === undefined) return delayUs;
  const remaining = Math.max(limitUs(c) - Math.max(0, nowUs - since), PROBE_MIN_US);
  return Math.min(remaining, delayUs);
}

/** The window opened or data is in flight: probing is over. */
export function probingEnded(c: UserTimeoutView): void {
  c.userTimeout.probingUs = undefined;
}

/** At a keep-alive timeout: are the probes exhausted? */
export function keepaliveExhausted(c: UserTimeoutView, nowUs: number, probes: number): boolean {
  if (off(c)) return c.keepaliveProbes >= probes;
  return c.keepaliveProbes > 0 && nowUs - c.lastReceivedUs >= limitUs(c);
}
