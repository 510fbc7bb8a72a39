/**
 * NewReno (RFC 6582 §3.2): like Reno, but a partial ACK (one that does not cover `recover`)
 * retransmits the next hole and keeps fast recovery; only a full ACK ends it.
 */
import { seqGt, type SeqNum } from '../../wire/seq.js';
import type { AckInfo, CongestionAction } from './controller.js';
import { Reno } from './reno.js';

export class NewReno extends Reno {
  /**
   * RFC 6582 §3.2 step 2 and §4: a fast retransmit only when the duplicate ACKs are for data
   * sent after the last loss was detected (the cumulative ACK covers more than `recover`).
   */
  protected override mayFastRetransmit(info: AckInfo): boolean {
    return this.s.recover === undefined || seqGt(info.ack, this.s.recover as SeqNum);
  }

  protected override onAckInRecovery(info: AckInfo): CongestionAction {
    if (!this.covers(info.ack)) {
      // RFC 6582 §3.2 step 3, partial ACK: retransmit the first unacknowledged segment,
      // deflate cwnd by the data acknowledged, and add back one SMSS if that was at least one.
      this.s.cwnd = Math.max(
        info.smss,
        this.s.cwnd - info.ackedBytes + (info.ackedBytes >= info.smss ? info.smss : 0),
      );
      return 'retransmit';
    }
    // Full ACK: leave fast recovery with cwnd = ssthresh (RFC 6582 §3.2 step 3, option 2).
    this.s.cwnd = this.s.ssthresh;
    this.s.bytesAcked = 0;
    this.s.phase = this.growthPhase();
    return 'none';
  }
}
