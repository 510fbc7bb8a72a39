/**
 * Tahoe, for the classroom comparison: fast retransmit without fast recovery. The third
 * duplicate ACK halves ssthresh and drops cwnd to one segment, as a timeout does, and the
 * sender goes back to the lost segment in slow start.
 */
import type { AckInfo, CongestionAction } from './controller.js';
import { Reno } from './reno.js';

export class Tahoe extends Reno {
  protected override onThirdDupAck(info: AckInfo): CongestionAction {
    this.onRto(info, false);
    return 'go-back';
  }

  /** A loss in a window an ECN-Echo already cut: back to SND.UNA, ssthresh kept. */
  protected override recoverWithoutCut(info: AckInfo): CongestionAction {
    this.onRto(info, true);
    return 'go-back';
  }
}
