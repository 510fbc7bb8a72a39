/**
 * HyStart as Linux's CUBIC runs it (net/ipv4/tcp_cubic.c: cubictcp_acked, hystart_update,
 * bictcp_hystart_reset; Ha and Rhee, "Taming the Elephants", 2008), with both detections on
 * (hystart_detect = 3, Linux's default). Slow start ends, ssthresh = cwnd, when in one round:
 * - ACK train: ACKs keep arriving at most 2 ms apart for longer than half the minimum RTT
 *   (plus an allowance for offload), so the window already fills the path; or
 * - delay: after 8 RTT samples, the round's smallest RTT exceeds the connection's smallest by
 *   clamp(minRTT / 8, 4 ms, 16 ms), so a queue is building.
 *
 * Invariants:
 * - it runs only in slow start, with cwnd of at least 16 segments, until it has found its exit
 *   point;
 * - a round begins on the first ACK it runs on beyond `roundEnd`, which is then set to the
 *   highest sequence number sent (Linux `end_seq = snd_nxt`): so no earlier than at 16
 *   segments (cubictcp_acked calls hystart_update only from hystart_low_window on); a retransmission timeout starts it afresh (cubictcp_state, TCP_CA_Loss);
 * - every time is virtual µs, every sample the per-ACK RTT of `AckInfo.rttUs`.
 */
import { seqGt, seq } from '../../wire/seq.js';
import type { AckInfo } from './controller.js';
import { cubicDelaySample } from './linux-cubic.js';

/** Linux HYSTART_MIN_SAMPLES: RTT samples a round takes before the delay check. */
export const HYSTART_MIN_SAMPLES = 8;
/** Linux hystart_low_window: no detection below 16 segments of cwnd. */
export const HYSTART_LOW_WINDOW = 16;
/** Linux hystart_ack_delta_us: ACKs at most 2 ms apart make a train. */
export const HYSTART_ACK_DELTA_US = 2000;
/** Linux HYSTART_DELAY_MIN and HYSTART_DELAY_MAX: the delay threshold's clamp. */
export const HYSTART_DELAY_MIN_US = 4000;
export const HYSTART_DELAY_MAX_US = 16_000;
/** hystart_ack_delay(): the allowance for offload is at most 1 ms. */
const ACK_DELAY_MAX_US = 1000;
/** sk_gso_max_size: a host's largest offload segment, about 64 KB on common devices. */
const GSO_MAX_SIZE = 65_536;
/** Linux tcp_pacing_ss_ratio and tcp_pacing_ca_ratio (percent). */
const PACING_SS_RATIO = 200;
const PACING_CA_RATIO = 120;

export interface HyStartState {
  kind: 'hystart';
  /** The exit point was found (Linux `found`): nothing more until a timeout resets it. */
  found: boolean;
  /** What found it, for the lab to read. */
  exit: 'ack-train' | 'delay' | undefined;
  /** The smallest RTT seen (Linux `delay_min`), µs; undefined before the first sample. */
  delayMinUs: number | undefined;
  /** The round ends when SND.UNA passes this (Linux `end_seq`); undefined: at the next ACK. */
  roundEnd: number | undefined;
  /** When the round began (Linux `round_start`) and the last ACK of its train (`last_ack`). */
  roundStartUs: number;
  lastAckUs: number;
  /** The round's smallest RTT (Linux `curr_rtt`); undefined before its first sample. */
  roundMinRttUs: number | undefined;
  /** Samples the round has taken (Linux `sample_cnt`). */
  samples: number;
}

export function initialHyStart(): HyStartState {
  return {
    kind: 'hystart',
    found: false,
    exit: undefined,
    delayMinUs: undefined,
    roundEnd: undefined,
    roundStartUs: 0,
    lastAckUs: 0,
    roundMinRttUs: undefined,
    samples: 0,
  };
}

/** What HyStart reads of the controller besides the ACK. */
export interface HyStartWindow {
  cwnd: number;
  ssthresh: number;
  /** CUBIC's epoch start (µs), if an epoch is running. */
  epochStartUs: number | undefined;
}

/**
 * cubictcp_acked() for an ACK of new data, before slow start grows cwnd on it (Linux calls
 * pkts_acked before cong_avoid): returns the new ssthresh when slow start ends here.
 */
export function hystartOnAck(h: HyStartState, info: AckInfo, w: HyStartWindow): number | undefined {
  // No sample (nothing new, or a resent segment), or one just after a recovery: nothing to do.
  const sample = cubicDelaySample(h.delayMinUs, info.rttUs, info.nowUs, w.epochStartUs);
  if (sample === undefined) return undefined;
  h.delayMinUs = sample.minUs;
  // Only in slow start, and from hystart_low_window on: a round cannot begin earlier.
  if (h.found || w.cwnd >= w.ssthresh || w.cwnd < HYSTART_LOW_WINDOW * info.smss) return undefined;
  return update(h, info, w, sample.delayUs, sample.minUs);
}

/** hystart_update() */
function update(
  h: HyStartState,
  info: AckInfo,
  w: HyStartWindow,
  delay: number,
  delayMin: number,
): number | undefined {
  // A new round when SND.UNA (this ACK) is after the end of the last one.
  if (h.roundEnd === undefined || seqGt(info.ack, seq(h.roundEnd))) startRound(h, info);

  // ACK train: ACKs close together for longer than half the minimum RTT (the halving is for an
  // unpaced sender: pacing may have spread the round over up to RTT/2).
  if (info.nowUs - h.lastAckUs <= HYSTART_ACK_DELTA_US) {
    h.lastAckUs = info.nowUs;
    const threshold = Math.floor((delayMin + ackDelayUs(info, w)) / 2);
    if (info.nowUs - h.roundStartUs > threshold) found(h, 'ack-train');
  }

  // Delay: the round's smallest RTT of more than HYSTART_MIN_SAMPLES samples.
  if (h.roundMinRttUs === undefined || delay < h.roundMinRttUs) h.roundMinRttUs = delay;
  if (h.samples < HYSTART_MIN_SAMPLES) {
    h.samples += 1;
  } else if (h.roundMinRttUs > delayMin + delayThreshold(delayMin)) {
    found(h, 'delay');
  }
  return h.found ? w.cwnd : undefined;
}

/** bictcp_hystart_reset() */
function startRound(h: HyStartState, info: AckInfo): void {
  h.roundStartUs = info.nowUs;
  h.lastAckUs = info.nowUs;
  h.roundEnd = info.sndMax;
  h.roundMinRttUs = undefined;
  h.samples = 0;
}

function found(h: HyStartState, why: 'ack-train' | 'delay'): void {
  if (!h.found) h.exit = why;
  h.found = true;
}

/** HYSTART_DELAY_THRESH(delay_min >> 3): an eighth of the minimum RTT, within 4..16 ms. */
export function delayThreshold(delayMinUs: number): number {
  return Math.min(HYSTART_DELAY_MAX_US, Math.max(HYSTART_DELAY_MIN_US, Math.floor(delayMinUs / 8)));
}

/**
 * hystart_ack_delay(): what offload may add to an ACK's spacing, the time four 64 KB offload
 * segments take at the pacing rate Linux computes (tcp_update_pacing_rate: cwnd / SRTT, x2 in
 * slow start below ssthresh / 2, else x1.2), at most 1 ms. Without an SRTT the rate is
 * unbounded and the allowance nil.
 */
function ackDelayUs(info: AckInfo, w: HyStartWindow): number {
  if (info.srttUs === undefined || info.srttUs <= 0) return 0;
  const ratio = w.cwnd < w.ssthresh / 2 ? PACING_SS_RATIO : PACING_CA_RATIO;
  const bytesPerSecond = (Math.max(w.cwnd, info.flightSize) * 1e6 * ratio) / 100 / info.srttUs;
  return Math.min(ACK_DELAY_MAX_US, Math.floor((GSO_MAX_SIZE * 4 * 1e6) / bytesPerSecond));
}

/**
 * cubictcp_state(TCP_CA_Loss): a timeout forgets everything, the minimum RTT too, and a round
 * begins (bictcp_hystart_reset), to end past what has been sent so far.
 */
export function hystartOnTimeout(h: HyStartState, info: AckInfo): void {
  Object.assign(h, initialHyStart());
  startRound(h, info);
}
