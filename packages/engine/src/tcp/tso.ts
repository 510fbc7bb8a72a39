/**
 * How Linux cuts what it sends at one moment into TSO/GSO packets: the segments one packet
 * holds, and how much of the congestion window one packet may take. push.ts uses it to put PSH
 * where Linux's packets put it (__tcp_transmit_skb sets PSH on every packet of more than one
 * segment, and GSO leaves it on the packet's last segment on the wire).
 *
 * Invariants: both functions are pure; a packet holds at least one segment.
 */
import { pacingRate, type PacingRateInput } from './pacing-rate.js';

/** Linux's sysctl tcp_min_tso_segs: the fewest segments a TSO packet is sized for. */
export const MIN_TSO_SEGS = 2;
/** GSO_LEGACY_MAX_SIZE: the largest packet a device takes for segmentation, in bytes. */
export const GSO_MAX_SIZE = 65_536;
/** sk_pacing_shift: a TSO packet holds about 2^-10 s (1 ms) of the pacing rate. */
const PACING_SHIFT = 10;
/** sysctl tcp_tso_rtt_log: flows with an RTT under 2^9 us * 32 get bigger packets. */
const TSO_RTT_LOG = 9;

/** What the pacing rate is computed from (pacing-rate.ts), and tcp_min_tso_segs. */
export interface TsoInput extends PacingRateInput {
  /** Linux's sysctl tcp_min_tso_segs; MIN_TSO_SEGS when absent. */
  minSegs?: number;
}

/**
 * The segments one TSO packet is sized for (Linux tcp_tso_autosize): about 1 ms of the
 * pacing rate (twice cwnd per RTT in slow start, 1.2 times after: pacing-rate.ts), more on
 * very short paths, at least tcp_min_tso_segs. On lab paths of a few ms or more this is the
 * minimum until cwnd grows large. Linux uses its windowed minimum RTT for the short-path
 * term; the smoothed RTT stands in for it here.
 */
export function tsoSegments(input: TsoInput): number {
  const { mss, srttUs } = input;
  const minSegs = input.minSegs ?? MIN_TSO_SEGS;
  const rate = pacingRate(input);
  if (rate === undefined || srttUs === undefined)
    return Math.max(minSegs, Math.floor(GSO_MAX_SIZE / mss));
  let bytes = Math.floor(rate / 2 ** PACING_SHIFT);
  const r = Math.floor(srttUs / 2 ** TSO_RTT_LOG);
  if (r < 32) bytes += Math.floor(GSO_MAX_SIZE / 2 ** r);
  bytes = Math.min(bytes, GSO_MAX_SIZE);
  return Math.max(minSegs, Math.floor(bytes / mss));
}

/**
 * The segments the next packet may take from the congestion window (Linux tcp_cwnd_test): at
 * most half the window, so that at least two packets are in flight, and never more than is
 * left of it; at least one.
 */
export function cwndQuota(cwndSegments: number, inFlightSegments: number): number {
  const half = Math.max(Math.floor(cwndSegments / 2), 1);
  return Math.max(1, Math.min(half, cwndSegments - inFlightSegments));
}
