/**
 * Holding back a partial segment on purpose: TCP_CORK (option `cork`) and MSG_MORE (`more` on
 * a send), as Linux does them. RFC 9293 §3.7.4 lets a sender wait to fill segments (Nagle);
 * a cork makes it wait whatever is in flight.
 *
 * - Corked, a segment shorter than the MSS that would empty the send queue waits (Linux
 *   tcp_nagle_check with TCP_NAGLE_CORK); full segments go out as the windows allow.
 * - `more` corks the send it comes with (tcp_push turns MSG_MORE into TCP_NAGLE_CORK for its
 *   own push). The next push that is not that send's releases the bytes under the socket's
 *   Nagle setting: a segment arriving (tcp_data_snd_check), the probe timer, the next send
 *   without `more`. Timers that send no data (delayed ACK, keep-alive) and reads do not.
 * - A FIN flushes: closing sends what waits (tcp_send_fin pushes with TCP_NAGLE_OFF).
 * - Retransmissions and the probe timer's send (see `swsOverride`) are never held.
 * - Linux has no timer of its own for a cork: held data with nothing in flight leaves when the
 *   probe timer fires, one RTO (at least 200 ms) later, which is the "200 ms ceiling" of
 *   tcp(7); with data in flight it waits for ACKs. The engine's persist timer does the same.
 *
 * Invariant: this only ever holds data back; it never sends anything itself.
 */

export interface CorkView {
  /** The `cork` option. */
  cork: boolean;
  /** The last bytes queued came with `more`, and no segment has arrived since to push them. */
  moreHeld: boolean;
  /** The application asked to push now (setting TCP_NODELAY, or uncorking with it set). */
  pushNow: boolean;
  /** The application closed: a FIN follows the queued data. */
  finQueued: boolean;
}

/** Whether a new segment of `len` bytes, out of `available` unsent, waits for more data. */
export function holdsPartial(c: CorkView, len: number, available: number, mss: number): boolean {
  const corked = (c.cork || c.moreHeld) && !c.pushNow && !c.finQueued;
  return corked && len < mss && len === available;
}
