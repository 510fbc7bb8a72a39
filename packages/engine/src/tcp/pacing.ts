/**
 * Pacing as Linux does it under the fq queue discipline (`EndpointOptions.pacing`): data leaves
 * in packets (the segments TSO sends together, tso.ts), each no earlier than the release time
 * the previous one set, so that a window is spread over the RTT rather than sent in one burst.
 *
 * - Each data packet leaves no earlier than `nextNs` (Linux's tcp_wstamp_ns, the earliest
 *   departure time that sch_fq honours). Sending it moves `nextNs` on by its payload at the
 *   pacing rate (pacing-rate.ts), less up to half of that when the packet left later than it
 *   could have: tcp_update_skb_after_send's allowance for timer drift, the same rule as
 *   sch_fq's "account for schedule/timers drifts" (a flow that missed its time gets at most
 *   half a packet's time back).
 * - The first 10 data segments of a connection are not paced (tcp_update_skb_after_send:
 *   "Original sch_fq does not pace first 10 MSS", fq's initial quantum).
 * - A packet is sized when its first segment goes: tcp_tso_autosize's segments (about 1 ms at
 *   the pacing rate, at least tcp_min_tso_segs), at most half of cwnd and what cwnd has left
 *   (tcp_cwnd_test). It ends when full or when the output pass ends.
 * - While data waits for its release, the connection's `pacing` timer is armed for it.
 * - What the gate holds is data sent in order: new data, and what goes out again from
 *   SND.NXT after a timeout. Holes retransmitted in recovery (RFC 6675, RACK), tail loss
 *   probes, SYNs, FINs and pure ACKs are never held (fq does not pace pure ACKs either); Linux
 *   stamps retransmissions too and counts them towards the next release.
 *
 * The packet's contents are decided at its release time, as Linux decides them when pacing
 * inside TCP (tcp_pacing_check, its pacing timer). Under fq, TCP Small Queues lets TCP build up
 * to about two packets ahead of their release; their times are the same, but a packet built
 * ahead uses the rate of its build time rather than of its release.
 *
 * Invariants: `room` is 0 outside an output pass; `nextNs` never moves back.
 */
import { cwndQuota, tsoSegments, type TsoInput } from './tso.js';
import { pacingRate } from './pacing-rate.js';

/** tcp_update_skb_after_send: data segments sent before pacing starts. */
export const UNPACED_SEGMENTS = 10;

export interface PacingState {
  /** tcp_wstamp_ns: the earliest time the next packet may leave, in ns of virtual time. */
  nextNs: number;
  /** Segments the packet under way may still take; 0 when none is under way. */
  room: number;
  /** The packet under way: its payload so far, when it left, and how late (its credit). */
  bytes: number;
  startNs: number;
  creditNs: number;
}

export function noPacing(): PacingState {
  return { nextNs: 0, room: 0, bytes: 0, startNs: 0, creditNs: 0 };
}

/** What deciding on the next segment reads of the connection. */
export interface PacingView {
  /** The TSO sizing and pacing rate inputs (tso.ts). */
  tso: TsoInput;
  /** Bytes in flight before this segment. */
  inFlight: number;
  /** Data segments sent so far (tcp_info's data_segs_out). */
  dataSegsOut: number;
}

/**
 * Whether a data segment of `len` bytes must wait at `nowUs`. If it may go, it is counted into
 * the packet under way (a new one if none is), and `nextNs` says when the next packet may.
 */
export function holds(p: PacingState, nowUs: number, len: number, view: PacingView): boolean {
  const nowNs = nowUs * 1000;
  if (p.room === 0) {
    if (nowNs < p.nextNs) return true;
    // A new packet: it leaves now, late by `credit` (tcp_wstamp_ns = max(wstamp, now)).
    p.creditNs = nowNs - p.nextNs;
    p.startNs = nowNs;
    p.bytes = 0;
    const { mss, cwnd } = view.tso;
    const inFlight = Math.ceil(view.inFlight / mss);
    p.room = Math.min(
      tsoSegments(view.tso),
      cwndQuota(Math.max(1, Math.floor(cwnd / mss)), inFlight),
    );
  }
  p.room -= 1;
  p.bytes += len;
  p.nextNs = p.startNs + packetTimeNs(p, view);
  return false;
}

/** How long the packet under way holds the next one back (tcp_update_skb_after_send). */
function packetTimeNs(p: PacingState, view: PacingView): number {
  const rate = pacingRate(view.tso);
  if (rate === undefined || rate === 0 || view.dataSegsOut + 1 < UNPACED_SEGMENTS) return 0;
  const lenNs = Math.floor((p.bytes * 1e9) / rate);
  return lenNs - Math.min(Math.floor(lenNs / 2), p.creditNs);
}

/** The output pass is over: the next segment starts a packet of its own. */
export function endPacket(p: PacingState): void {
  p.room = 0;
}

/** When the next packet may leave, in the engine's microseconds (rounded up). */
export function releaseUs(p: PacingState): number {
  return Math.ceil(p.nextNs / 1000);
}
