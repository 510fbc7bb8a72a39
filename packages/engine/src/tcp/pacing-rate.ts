/**
 * The pacing rate, as Linux's tcp_update_pacing_rate() sets sk_pacing_rate after every ACK:
 * the window's worth of data per smoothed RTT, times a ratio that is larger in slow start so
 * that pacing never holds back a window that is still doubling. TSO sizing (tso.ts) reads it
 * whether or not anything paces; the fq release gate (pacing.ts) paces with it.
 *
 * No TCP RFC defines a pacing rate; RFC 9002 §7.7 (QUIC) gives the same form,
 * N * congestion_window / smoothed_rtt, and names Linux's fq as an example of a pacer.
 *
 * Invariant: pure; the rate is a whole number of bytes per second, undefined for "unlimited"
 * (no RTT sample yet: Linux then divides by nothing and the rate is effectively infinite).
 */

/** net.ipv4.tcp_pacing_ss_ratio and tcp_pacing_ca_ratio, in percent (Linux's defaults). */
export const DEFAULT_SS_RATIO = 200;
export const DEFAULT_CA_RATIO = 120;

export interface PacingRateInput {
  /** The send MSS in bytes (mss_cache). */
  mss: number;
  /** cwnd and ssthresh in bytes (the engine keeps them in bytes; Linux in packets). */
  cwnd: number;
  ssthresh: number;
  /** Segments sent and not yet acknowledged (packets_out); 0 when unknown. */
  packetsOut?: number;
  /** The smoothed RTT, undefined before the first sample. */
  srttUs: number | undefined;
  /** Percentages; Linux's defaults when absent. */
  ssRatio?: number;
  caRatio?: number;
}

/**
 * Bytes per second (tcp_update_pacing_rate): mss * max(cwnd, packets_out) / srtt, times the
 * slow-start ratio while cwnd < ssthresh / 2 (in packets, as Linux compares them: "approaching
 * the end of slow start, slow down") and the congestion-avoidance ratio otherwise.
 */
export function pacingRate(input: PacingRateInput): number | undefined {
  const { mss, srttUs } = input;
  if (srttUs === undefined || srttUs <= 0) return undefined;
  const slowStart = Math.floor(input.cwnd / mss) < Math.floor(Math.floor(input.ssthresh / mss) / 2);
  const ratio = slowStart
    ? (input.ssRatio ?? DEFAULT_SS_RATIO)
    : (input.caRatio ?? DEFAULT_CA_RATIO);
  // mss * max(cwnd, packets_out) in bytes; USEC_PER_SEC / 100 as the ratio is in percent.
  const window = Math.max(input.cwnd, (input.packetsOut ?? 0) * mss);
  return Math.floor((window * ratio * 10_000) / srttUs);
}
