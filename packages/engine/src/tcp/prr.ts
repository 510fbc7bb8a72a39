/**
 * Proportional rate reduction (RFC 6937 §3, with the slow-start reduction bound, as Linux's
 * tcp_cwnd_reduction): during fast recovery each ACK lets out an amount of data computed from
 * what the receiver reports delivered, so that the window comes down to ssthresh smoothly over
 * one round trip instead of RFC 6675's half-RTT of silence, and climbs back towards it in slow
 * start when losses have taken the pipe below.
 *
 * Invariants: prr_out never exceeds what the ACKs allowed (prr_delivered * ssthresh /
 * RecoverFS while the pipe is above ssthresh, the pipe never above ssthresh otherwise), apart
 * from the one segment the first ACK of a recovery always lets out (the fast retransmit).
 * Amounts are bytes; the proportional share is rounded up to whole segments, as Linux counts
 * packets.
 */

export interface PrrState {
  /** Bytes delivered to the receiver since recovery began (prr_delivered). */
  delivered: number;
  /** Bytes sent since recovery began (prr_out). */
  out: number;
  /**
   * RecoverFS: the FlightSize when recovery began (RFC 6937 §3). Linux uses the cwnd before the
   * reduction (prior_cwnd) instead; both are the same when the window was full.
   */
  recoverFs: number;
}

export function startPrr(flightSize: number): PrrState {
  return { delivered: 0, out: 0, recoverFs: Math.max(1, flightSize) };
}

export interface PrrAck {
  /** DeliveredData: bytes this ACK newly acknowledged or SACKed (RFC 6937 §2). */
  delivered: number;
  /** The pipe after the ACK (RFC 6675 §4, or Linux's packets in flight). */
  pipe: number;
  ssthresh: number;
  smss: number;
  /** The ACK moved SND.UNA, and no segment was newly deemed lost on it. */
  safeAck: boolean;
}

/**
 * RFC 6937 §3 on an ACK in recovery: sndcnt, returned as the cwnd that allows exactly it
 * (pipe + sndcnt, as Linux sets it), or undefined when the ACK delivered nothing (cwnd stays).
 */
export function prrOnAck(prr: PrrState, a: PrrAck): number | undefined {
  if (a.delivered <= 0) return undefined;
  prr.delivered += a.delivered;
  let sndcnt: number;
  if (a.pipe > a.ssthresh) {
    // Proportional rate reduction: CEIL(prr_delivered * ssthresh / RecoverFS) - prr_out.
    const share = (prr.delivered * a.ssthresh) / prr.recoverFs;
    sndcnt = Math.ceil(share / a.smss) * a.smss - prr.out;
  } else {
    // The slow-start reduction bound: MAX(prr_delivered - prr_out, DeliveredData), plus one
    // SMSS. Linux (and draft-ietf-tcpm-prr-rfc6937bis) add that segment only on an ACK that
    // moves SND.UNA without revealing a new loss.
    const limit = Math.max(prr.delivered - prr.out, a.delivered) + (a.safeAck ? a.smss : 0);
    sndcnt = Math.min(a.ssthresh - a.pipe, limit);
  }
  // Linux: the first ACK of a recovery always lets out one segment, the fast retransmit.
  sndcnt = Math.max(sndcnt, prr.out > 0 ? 0 : a.smss);
  return a.pipe + Math.max(0, sndcnt);
}

/** Bytes sent while in recovery (prr_out += data sent). */
export function prrSent(prr: PrrState, bytes: number): void {
  prr.out += bytes;
}
