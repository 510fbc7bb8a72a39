/**
 * The congestion window, behind the interface every algorithm implements. This file holds the
 * plain slow start of RFC 5681 §3.1 with a loss window of one segment after a timeout; Reno,
 * NewReno, CUBIC and SACK recovery implement the same interface in files of their own.
 */

export interface CongestionState {
  cwnd: number;
  ssthresh: number;
}

export interface CongestionController {
  /** Bytes the sender may have in flight. */
  window(): number;
  /** New data was acknowledged. */
  onAck(ackedBytes: number, smss: number): void;
  /** The retransmission timer expired with `flightSize` bytes outstanding. */
  onRto(flightSize: number, smss: number): void;
  state(): CongestionState;
}

export class SlowStart implements CongestionController {
  private cwnd: number;
  private ssthresh: number;

  constructor(initial: CongestionState) {
    this.cwnd = initial.cwnd;
    this.ssthresh = initial.ssthresh;
  }

  /** RFC 5681 §3.1: IW = `segments` * SMSS; ssthresh starts arbitrarily high. */
  static initial(segments: number, smss: number): CongestionState {
    return { cwnd: segments * smss, ssthresh: Number.MAX_SAFE_INTEGER };
  }

  window(): number {
    return this.cwnd;
  }

  onAck(ackedBytes: number, smss: number): void {
    if (this.cwnd < this.ssthresh) {
      this.cwnd += Math.min(ackedBytes, smss); // RFC 5681 §3.1, equation (2)
    } else {
      this.cwnd += Math.max(1, Math.floor((smss * smss) / this.cwnd)); // RFC 5681 §3.1, (3)
    }
  }

  onRto(flightSize: number, smss: number): void {
    this.ssthresh = Math.max(Math.floor(flightSize / 2), 2 * smss); // RFC 5681 §3.1, (4)
    this.cwnd = smss; // loss window LW = 1 SMSS
  }

  state(): CongestionState {
    return { cwnd: this.cwnd, ssthresh: this.ssthresh };
  }
}
