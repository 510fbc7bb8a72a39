/**
 * How Linux grows the congestion window (`cwndAccounting: 'linux'`), where it differs from
 * RFC 5681's byte rules that reno.ts follows:
 * - cwnd and ssthresh are whole packets (tp->snd_cwnd, snd_ssthresh); the engine keeps them in
 *   bytes as packets * SMSS, so the send path is unchanged;
 * - slow start adds every packet an ACK delivers, up to ssthresh, and the rest go on into
 *   congestion avoidance (tcp_slow_start): appropriate byte counting without RFC 3465's L limit;
 * - congestion avoidance adds one packet per `w` packets acknowledged, counting them in
 *   snd_cwnd_cnt (tcp_cong_avoid_ai); `w` is cwnd for Reno, CUBIC's `cnt` for CUBIC;
 * - the window grows only while the sender uses it (tcp_is_cwnd_limited, the idea of RFC 7661
 *   and of draft-ietf-ccwg-ratelimited-increase): when it was cwnd-limited in the last window
 *   of data, or, in slow start, while cwnd is below twice the most packets it had out
 *   (tcp_cwnd_validate keeps that record);
 * - after an idle period longer than the RTO, cwnd is halved once per RTO idle, down to the
 *   restart window min(IW, cwnd) (tcp_cwnd_restart, RFC 5681 §4.1), and a sender that left
 *   the window unused for an RTO decays it towards what it used (tcp_cwnd_application_limited,
 *   RFC 2861), both under tcp_slow_start_after_idle (`slowStartAfterIdle`);
 * - without SACK, a duplicate ACK counts as a packet delivered, and the ACK of new data that
 *   follows delivers only what the duplicates did not count, at least one packet
 *   (tcp_add_reno_sack, tcp_remove_reno_sacks: Linux's emulation of SACK);
 * - a retransmission timeout leaves cwnd at one packet and ssthresh at the controller's own
 *   ssthresh function of cwnd (tcp_enter_loss).
 *
 * Invariants: `cwndCnt` is never negative; cwnd stays a whole number of packets, at least one.
 */
import type { SeqNum } from '../../wire/seq.js';
import { seqGe } from '../../wire/seq.js';
import type { AckInfo, CongestionState } from './controller.js';
import type { SlowStartShare } from './hystart-plus-plus.js';
import type { LinuxCubicState } from './linux-cubic.js';

/** The choice between the RFC's accounting and Linux's (see `EndpointOptions.cwndAccounting`). */
export type CwndAccounting = 'rfc' | 'linux';

export interface LinuxGrowthState {
  /** snd_cwnd_cnt: packets acknowledged in congestion avoidance towards the next +1. */
  cwndCnt: number;
  /** is_cwnd_limited: the sender filled cwnd since `cwndUsageSeq` was set. */
  cwndLimited: boolean;
  /** max_packets_out: the most packets out in the current window of data. */
  maxPacketsOut: number;
  /** cwnd_usage_seq: SND.NXT when that window began; undefined before the first send. */
  cwndUsageSeq: number | undefined;
  /** snd_cwnd_used: the most packets out while not cwnd-limited (RFC 2861). */
  cwndUsed: number;
  /** snd_cwnd_stamp: when cwnd was last fully used or last changed by validation (µs). */
  cwndStampUs: number;
  /**
   * Without SACK, sacked_out as Linux emulates it: duplicate ACKs since the last ACK of new
   * data, each taken as one packet delivered (tcp_add_reno_sack).
   */
  renoSacked: number;
  /** Linux CUBIC's own state (tcp_cubic.c), for `congestion: 'cubic'`. */
  cubic?: LinuxCubicState;
}

/** What the connection tells the controller after each pass of its output routine. */
export interface SendPass {
  nowUs: number;
  /** The pass sent new data (SND.NXT moved). */
  sent: boolean;
  /** Data still waits in the send queue. */
  unsent: boolean;
  /** Segments from SND.UNA to the highest sent (packets_out). */
  packetsOut: number;
  /** Segments from SND.UNA to SND.NXT (tcp_packets_in_flight). */
  inFlight: number;
  sndUna: SeqNum;
  sndNxt: SeqNum;
  rtoUs: number;
  /** The initial window, in bytes. */
  initialWindow: number;
  /** `EndpointOptions.slowStartAfterIdle`. */
  slowStartAfterIdle: boolean;
  /** The application filled the send buffer (Linux's SOCK_NOSPACE). */
  sndBufferFull: boolean;
}

export function initialLinuxGrowth(nowUs: number): LinuxGrowthState {
  return {
    cwndCnt: 0,
    cwndLimited: false,
    maxPacketsOut: 0,
    cwndUsageSeq: undefined,
    cwndUsed: 0,
    cwndStampUs: nowUs,
    renoSacked: 0,
  };
}

/** A copy that shares nothing with `lx`. */
export function copyLinuxGrowth(lx: LinuxGrowthState): LinuxGrowthState {
  return { ...lx, ...(lx.cubic && { cubic: { ...lx.cubic } }) };
}

/** cwnd in packets. */
export function cwndPackets(s: CongestionState): number {
  return Math.max(1, Math.floor(s.cwnd / s.smss));
}

function ssthreshPackets(s: CongestionState): number {
  return Math.floor(s.ssthresh / s.smss);
}

function setCwnd(s: CongestionState, packets: number): void {
  s.cwnd = Math.max(1, packets) * s.smss;
}

/** tcp_in_slow_start */
function inSlowStart(s: CongestionState): boolean {
  return cwndPackets(s) < ssthreshPackets(s);
}

/** tcp_is_cwnd_limited: may the window grow on this ACK? */
export function isCwndLimited(s: CongestionState, lx: LinuxGrowthState): boolean {
  if (lx.cwndLimited) return true;
  // In slow start, grow until cwnd is twice what was out (RFC 7661's idea of a validated window).
  return inSlowStart(s) && cwndPackets(s) < 2 * lx.maxPacketsOut;
}

/**
 * tcp_cong_avoid for an ACK that delivered `info.packetsAcked` packets: slow start first, then
 * `avoid(acked)` with what is left over for congestion avoidance. With `share` (HyStart++,
 * which Linux does not have), slow start counts at most `share.cap` packets per ACK and, in
 * Conservative Slow Start, one packet per `share.divisor` of them (RFC 9406 §4.2, in packets).
 */
export function linuxCongAvoid(
  s: CongestionState,
  lx: LinuxGrowthState,
  info: AckInfo,
  avoid: (acked: number) => void,
  share?: SlowStartShare,
): void {
  let acked = info.packetsAcked ?? 0;
  // tcp_may_raise_cwnd: only an ACK that delivers data grows the window.
  if (acked === 0 || !isCwndLimited(s, lx)) return;
  if (inSlowStart(s)) {
    if (share !== undefined) {
      acked = Math.min(acked, share.cap);
      if (share.divisor > 1) congAvoidAi(s, lx, share.divisor, acked);
      else setCwnd(s, Math.min(cwndPackets(s) + acked, ssthreshPackets(s)));
      return;
    }
    // tcp_slow_start: cwnd = min(cwnd + acked, ssthresh); the rest goes on below.
    const cwnd = cwndPackets(s);
    const next = Math.min(cwnd + acked, ssthreshPackets(s));
    acked -= next - cwnd;
    setCwnd(s, next);
    if (acked === 0) return;
  }
  avoid(acked);
}

/** tcp_cong_avoid_ai: one more packet for every `w` acknowledged, counted in snd_cwnd_cnt. */
export function congAvoidAi(
  s: CongestionState,
  lx: LinuxGrowthState,
  w: number,
  acked: number,
): void {
  let cwnd = cwndPackets(s);
  // Credits earned at a larger w are spent gently now.
  if (lx.cwndCnt >= w) {
    lx.cwndCnt = 0;
    cwnd += 1;
  }
  lx.cwndCnt += acked;
  if (lx.cwndCnt >= w) {
    const delta = Math.floor(lx.cwndCnt / w);
    lx.cwndCnt -= delta * w;
    cwnd += delta;
  }
  setCwnd(s, cwnd);
}

/** tcp_reno_ssthresh: half of cwnd, at least two packets (in packets). */
export function renoSsthresh(cwnd: number): number {
  return Math.max(cwnd >> 1, 2);
}

/**
 * tcp_enter_loss, beside what the controller does (ssthresh from its own function unless the
 * same segment timed out again; cwnd = packets in flight + 1, which is one once every packet
 * out is taken as lost): the count towards the next packet starts again.
 */
export function linuxEnterLoss(lx: LinuxGrowthState, nowUs: number): void {
  lx.cwndCnt = 0;
  lx.cwndStampUs = nowUs;
  lx.renoSacked = 0; // tcp_reset_reno_sack
}

/**
 * tcp_add_reno_sack, for a connection without SACK: a duplicate ACK says a packet left the
 * network, counted as delivered now; at most all but one of the packets out
 * (tcp_limit_reno_sacked).
 */
export function renoDupAck(lx: LinuxGrowthState, info: AckInfo): void {
  const out = Math.ceil(info.flightSize / info.smss);
  lx.renoSacked = Math.min(lx.renoSacked + 1, Math.max(0, out - 1));
}

/**
 * tcp_remove_reno_sacks, for a connection without SACK: an ACK of `acked` packets delivers one
 * for the hole it fills and those the duplicate ACKs did not count already; the count then
 * drops by what the ACK covered, or (`reset`) to nothing, as Linux resets it on an ACK of new
 * data outside fast recovery and at its end (tcp_reset_reno_sack). Returns the packets
 * delivered.
 */
export function renoDelivered(lx: LinuxGrowthState, acked: number, reset: boolean): number {
  if (acked === 0) return 0;
  const delivered = Math.max(acked - lx.renoSacked, 1);
  lx.renoSacked = reset ? 0 : Math.max(0, lx.renoSacked - (acked - 1));
  return delivered;
}

/** tcp_current_ssthresh outside a reduction: at least three quarters of cwnd. */
function currentSsthresh(s: CongestionState): number {
  const cwnd = cwndPackets(s);
  return Math.max(ssthreshPackets(s), (cwnd >> 1) + (cwnd >> 2));
}

/**
 * tcp_cwnd_restart (RFC 5681 §4.1): after `idleUs` without sending, halve cwnd once per RTO
 * that passed, but not below the restart window min(IW, cwnd).
 */
export function linuxCwndRestart(
  s: CongestionState,
  lx: LinuxGrowthState,
  initialWindow: number,
  idleUs: number,
  rtoUs: number,
  nowUs: number,
): void {
  let cwnd = cwndPackets(s);
  const restart = Math.min(Math.max(1, Math.floor(initialWindow / s.smss)), cwnd);
  s.ssthresh = currentSsthresh(s) * s.smss;
  for (let left = idleUs - rtoUs; left > 0 && cwnd > restart; left -= rtoUs) cwnd >>= 1;
  setCwnd(s, Math.max(cwnd, restart));
  lx.cwndStampUs = nowUs;
  lx.cwndUsed = 0;
}

/**
 * tcp_cwnd_validate, after an output pass that sent data or found cwnd full: record whether
 * the sender is cwnd-limited in this window of data, and with `slowStartAfterIdle`, decay a
 * window left unused for an RTO (tcp_cwnd_application_limited, RFC 2861).
 * Returns true when cwnd or ssthresh changed.
 */
export function linuxValidate(s: CongestionState, lx: LinuxGrowthState, pass: SendPass): boolean {
  const limited = pass.inFlight >= cwndPackets(s);
  if (!pass.sent && !(limited && pass.unsent)) return false; // tcp_write_xmit sent nothing
  // Keep the strongest signal of how much of cwnd is used: cwnd-limited at any time in this
  // window of data, else the most packets out; a new window begins once SND.UNA passes the
  // SND.NXT recorded at the start of the last one.
  const windowDone = lx.cwndUsageSeq === undefined || seqGe(pass.sndUna, lx.cwndUsageSeq as SeqNum);
  if (windowDone || limited || (!lx.cwndLimited && pass.packetsOut > lx.maxPacketsOut)) {
    lx.cwndLimited = limited;
    lx.maxPacketsOut = pass.packetsOut;
    lx.cwndUsageSeq = pass.sndNxt;
  }
  if (isCwndLimited(s, lx)) {
    lx.cwndUsed = 0; // the network is fed fully
    lx.cwndStampUs = pass.nowUs;
    return false;
  }
  lx.cwndUsed = Math.max(lx.cwndUsed, pass.packetsOut);
  if (!pass.slowStartAfterIdle || pass.nowUs - lx.cwndStampUs < pass.rtoUs) return false;
  // tcp_cwnd_application_limited: only in the open state, and not when the application is
  // blocked on a full send buffer (then it is not the application that limits).
  let changed = false;
  const growing =
    s.phase === 'slow-start' ||
    s.phase === 'conservative-slow-start' ||
    s.phase === 'congestion-avoidance';
  const open = growing && s.dupAcks === 0;
  if (open && !pass.sndBufferFull) {
    const used = Math.max(lx.cwndUsed, Math.floor(pass.initialWindow / s.smss));
    const cwnd = cwndPackets(s);
    if (used < cwnd) {
      s.ssthresh = currentSsthresh(s) * s.smss;
      setCwnd(s, (cwnd + used) >> 1);
      changed = true;
    }
    lx.cwndUsed = 0;
  }
  lx.cwndStampUs = pass.nowUs;
  return changed;
}
