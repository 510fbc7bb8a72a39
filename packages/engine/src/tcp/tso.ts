/**
 * How Linux cuts what it sends at one moment into TSO/GSO packets: the segments one packet
 * holds, and how much of the congestion window one packet may take. push.ts uses it to put PSH
 * where Linux's packets put it (__tcp_transmit_skb sets PSH on every packet of more than one
 * segment, and GSO leaves it on the packet's last segment on the wire).
 *
 * Invariants: both functions are pure; a packet holds at least one segment.
 */

/** Linux's sysctl tcp_min_tso_segs: the fewest segments a TSO packet is sized for. */
export const MIN_TSO_SEGS = 2;
/** GSO_LEGACY_MAX_SIZE: the largest packet a device takes for segmentation, in bytes. */
export const GSO_MAX_SIZE = 65_536;
/** sk_pacing_shift: a TSO packet holds about 2^-10 s (1 ms) of the pacing rate. */
const PACING_SHIFT = 10;
/** sysctl tcp_tso_rtt_log: flows with an RTT under 2^9 us * 32 get bigger packets. */
const TSO_RTT_LOG = 9;
/** sysctl tcp_pacing_ss_ratio and tcp_pacing_ca_ratio, in percent. */
const PACING_SS_RATIO = 200;
const PACING_CA_RATIO = 120;

export interface TsoInput {
  /** The send MSS in bytes. */
  mss: number;
  /** cwnd and ssthresh in bytes. */
  cwnd: number;
  ssthresh: number;
  /** The smoothed RTT, undefined before the first sample. */
  srttUs: number | undefined;
}

/**
 * The segments one TSO packet is sized for (Linux tcp_tso_autosize): about 1 ms of the
 * pacing rate (twice cwnd per RTT in slow start, 1.2 times after: tcp_update_pacing_rate),
 * more on very short paths, at least MIN_TSO_SEGS. On lab paths of a few ms or more this is
 * 2 until cwnd grows large. Linux uses its windowed minimum RTT for the short-path term;
 * the smoothed RTT stands in for it here.
 */
export function tsoSegments({ mss, cwnd, ssthresh, srttUs }: TsoInput): number {
  if (srttUs === undefined || srttUs <= 0)
    return Math.max(MIN_TSO_SEGS, Math.floor(GSO_MAX_SIZE / mss));
  const ratio = cwnd < ssthresh / 2 ? PACING_SS_RATIO : PACING_CA_RATIO;
  const rateBytesPerSecond = (cwnd * ratio * 1_000_000) / 100 / srttUs;
  let bytes = Math.floor(rateBytesPerSecond / 2 ** PACING_SHIFT);
  const r = Math.floor(srttUs / 2 ** TSO_RTT_LOG);
  if (r < 32) bytes += Math.floor(GSO_MAX_SIZE / 2 ** r);
  bytes = Math.min(bytes, GSO_MAX_SIZE);
  return Math.max(MIN_TSO_SEGS, Math.floor(bytes / mss));
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
