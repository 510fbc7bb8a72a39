/**
 * Reno (RFC 5681 §3): slow start, congestion avoidance, fast retransmit on the third duplicate
 * ACK and fast recovery, which ends on the first ACK of new data. NewReno and Tahoe extend it.
 */
import { seqGe, seqGt, type SeqNum } from '../../wire/seq.js';
import {
  INITIAL_SSTHRESH,
  type AckInfo,
  type CongestionAction,
  type CongestionController,
  type CongestionPhase,
  type CongestionState,
  type GrowthOptions,
} from './controller.js';
import {
  congAvoidAi,
  copyLinuxGrowth,
  cwndPackets,
  initialLinuxGrowth,
  linuxCongAvoid,
  linuxCwndRestart,
  linuxEnterLoss,
  linuxValidate,
  renoDelivered,
  renoDupAck,
  renoSsthresh,
  type LinuxGrowthState,
  type SendPass,
} from './linux-growth.js';
import {
  afterSlowStartGrowth,
  beforeSlowStartGrowth,
  inConservativeSlowStart,
  initialSlowStartExit,
  slowStartExitOnLoss,
  slowStartIncrease,
  slowStartShare,
} from './slow-start-exit.js';

/** RFC 5681 §3.2: the duplicate ACK that triggers fast retransmit. */
export const DUPACK_THRESHOLD = 3;

export class Reno implements CongestionController {
  protected s: CongestionState;

  constructor(state: CongestionState) {
    this.s = copyState(state);
  }

  static initial(
    algorithm: CongestionState['algorithm'],
    iwBytes: number,
    smss: number,
    growth: GrowthOptions = {},
  ): CongestionState {
    const exit = initialSlowStartExit(growth.slowStartExit);
    return {
      algorithm,
      cwnd: iwBytes,
      ssthresh: INITIAL_SSTHRESH, // RFC 5681 §3.1: arbitrarily high
      phase: 'slow-start',
      recover: undefined,
      dupAcks: 0,
      bytesAcked: 0,
      smss,
      ...(exit && { slowStartExit: exit }),
      ...(growth.accounting === 'linux' && { linux: initialLinuxGrowth(growth.nowUs ?? 0) }),
    };
  }

  get phase(): CongestionPhase {
    return this.s.phase;
  }

  get cwnd(): number {
    return this.s.cwnd;
  }

  get ssthresh(): number {
    return this.s.ssthresh;
  }

  state(): CongestionState {
    return copyState(this.s);
  }

  window(): number {
    // RFC 3042 Limited Transmit: the first two duplicate ACKs may each release one new segment.
    const growing =
      this.s.phase === 'slow-start' ||
      this.s.phase === 'conservative-slow-start' ||
      this.s.phase === 'congestion-avoidance';
    if (growing && this.s.dupAcks > 0 && this.s.dupAcks < DUPACK_THRESHOLD) {
      return this.s.cwnd + this.s.dupAcks * this.s.smss;
    }
    return this.s.cwnd;
  }

  onAck(ack: AckInfo): CongestionAction {
    this.s.dupAcks = 0;
    this.s.smss = ack.smss;
    const info = this.delivered(ack);
    if (this.s.linux !== undefined) this.onLinuxAck(info);
    if (this.s.phase === 'fast-recovery') {
      return info.sackRecovery ? this.onAckInSackRecovery(info) : this.onAckInRecovery(info);
    }
    if (this.s.phase === 'loss-recovery' && this.covers(info.ack))
      this.s.phase = this.growthPhase();
    if (this.s.phase === 'cwr') {
      // RFC 3168 §6.1.2: no growth while the reduction holds. Linux leaves CWR once SND.UNA is
      // past `recover`, so that the CWR flag has reached the receiver (tcp_fastretrans_alert).
      if (!seqGt(info.ack, this.s.recover as SeqNum)) return 'none';
      this.s.phase = this.growthPhase();
    }
    beforeSlowStartGrowth(this.s, info); // HyStart (Linux: pkts_acked before cong_avoid)
    this.grow(info);
    afterSlowStartGrowth(this.s, info); // HyStart++ (RFC 9406 §4.2: after the increase)
    if (this.s.phase !== 'loss-recovery') this.s.phase = this.growthPhase();
    return 'none';
  }

  /**
   * Linux accounting without SACK: the packets an ACK delivers net of those its duplicate ACKs
   * counted (Linux's emulation of SACK, linux-growth.ts renoDelivered).
   */
  private delivered(info: AckInfo): AckInfo {
    const linux = this.s.linux;
    if (linux === undefined || info.sackRecovery || info.packetsAcked === undefined) return info;
    const reset = this.s.phase !== 'fast-recovery' || this.covers(info.ack);
    return { ...info, packetsAcked: renoDelivered(linux, info.packetsAcked, reset) };
  }

  /** RFC 5681 §3.2 step 6: the first new ACK ends fast recovery with cwnd = ssthresh. */
  protected onAckInRecovery(_info: AckInfo): CongestionAction {
    this.s.cwnd = this.s.ssthresh; // deflate
    this.s.bytesAcked = 0;
    this.s.phase = this.growthPhase();
    return 'none';
  }

  /**
   * RFC 6675 §5: with SACK, recovery lasts until the ACK covers RecoveryPoint (`recover`);
   * cwnd stays at ssthresh meanwhile and the scoreboard decides what is sent.
   */
  private onAckInSackRecovery(info: AckInfo): CongestionAction {
    if (!this.covers(info.ack)) return 'none';
    this.s.cwnd = this.s.ssthresh;
    this.s.bytesAcked = 0;
    this.s.phase = this.growthPhase();
    return 'none';
  }

  onDupAck(info: AckInfo): CongestionAction {
    this.s.smss = info.smss;
    this.s.dupAcks += 1;
    // Linux accounting without SACK: the duplicate counts as a packet delivered (not after a
    // timeout, where Linux counts them only once new data went out: a simplification).
    const linux = this.s.linux;
    if (linux !== undefined && !info.sackRecovery && this.s.phase !== 'loss-recovery') {
      renoDupAck(linux, info);
    }
    if (this.s.phase === 'fast-recovery') {
      // RFC 5681 §3.2 step 5: inflate for each further duplicate. RFC 6675 counts the pipe
      // instead and leaves cwnd alone.
      if (!info.sackRecovery) this.s.cwnd += info.smss;
      return 'none';
    }
    // After a timeout (or Tahoe's go-back) the duplicates come from the resent window: no fast
    // retransmit until that recovery is over (RFC 6582 §4 gives the reason).
    if (this.s.phase === 'loss-recovery') return 'none';
    // RFC 6675 §5 step 2: the third duplicate ACK, or the scoreboard saying the first
    // segment is lost before that.
    const third = this.s.dupAcks === DUPACK_THRESHOLD;
    const sackSaysLost = info.firstSegmentLost && this.s.dupAcks < DUPACK_THRESHOLD;
    if (!(third || sackSaysLost)) return 'none';
    // RFC 3168 §6.1.2: a loss in the window already cut for an ECN-Echo is the same congestion:
    // recover without a second cut (Linux's tcp_enter_recovery keeps the CWR ssthresh).
    if (this.s.phase === 'cwr') return this.recoverWithoutCut(info);
    if (!this.mayFastRetransmit(info)) return 'none';
    return this.onThirdDupAck(info);
  }

  /** Fast retransmit and recovery from the ssthresh an ECN-Echo already set. */
  protected recoverWithoutCut(info: AckInfo): CongestionAction {
    return this.enterFastRecovery(info);
  }

  /** Classic Reno enters fast retransmit on every third duplicate ACK. */
  protected mayFastRetransmit(_info: AckInfo): boolean {
    return true;
  }

  /** RFC 5681 §3.2 steps 2-4: halve, retransmit, and inflate by the three segments that left. */
  protected onThirdDupAck(info: AckInfo): CongestionAction {
    this.multiplicativeDecrease(info);
    return this.enterFastRecovery(info);
  }

  /** The new ssthresh after a loss or an ECN-Echo (see `lossSsthresh`). */
  protected multiplicativeDecrease(info: AckInfo): void {
    this.s.ssthresh = this.lossSsthresh(info);
  }

  onLossDetected(info: AckInfo): CongestionAction {
    this.s.smss = info.smss;
    this.s.dupAcks = 0;
    // As on the third duplicate ACK: no second cut in the window an ECN-Echo cut already.
    if (this.s.phase === 'cwr') return this.recoverWithoutCut(info);
    return this.onThirdDupAck(info);
  }

  onProbeLoss(info: AckInfo): void {
    this.multiplicativeDecrease(info);
    this.s.cwnd = this.s.ssthresh;
    this.s.bytesAcked = 0;
    if (this.s.phase !== 'loss-recovery') this.s.phase = this.growthPhase();
  }

  setWindow(cwnd: number): void {
    this.s.cwnd = cwnd;
  }

  /**
   * cwnd = ssthresh + 3*SMSS for the segments that left the network (RFC 5681 §3.2 step 3),
   * or cwnd = ssthresh with SACK, whose pipe counts them instead (RFC 6675 §5 step 4.2).
   * `recover` (RecoveryPoint) is the highest sequence number sent.
   */
  protected enterFastRecovery(info: AckInfo): CongestionAction {
    slowStartExitOnLoss(this.s, info, false);
    this.s.cwnd = this.s.ssthresh + (info.sackRecovery ? 0 : DUPACK_THRESHOLD * info.smss);
    this.s.recover = info.sndMax;
    this.s.phase = 'fast-recovery';
    return 'retransmit';
  }

  /**
   * ssthresh after a loss: RFC 5681 §3.1 equation (4), max(FlightSize / 2, 2 * SMSS); with
   * Linux accounting, the controller's ssthresh function of cwnd (tcp_reno_ssthresh here).
   */
  protected lossSsthresh(info: AckInfo): number {
    if (this.s.linux !== undefined) return this.linuxSsthresh() * info.smss;
    return Math.max(Math.floor(info.flightSize / 2), 2 * info.smss);
  }

  onRto(info: AckInfo, repeated: boolean): void {
    // RFC 5681 §3.1 (4); ssthresh is held when the same segment times out again.
    if (!repeated) this.s.ssthresh = this.lossSsthresh(info);
    slowStartExitOnLoss(this.s, info, true);
    this.s.cwnd = info.smss; // loss window LW = 1 SMSS (Linux: the packets in flight + 1, so 1)
    this.s.bytesAcked = 0;
    if (this.s.linux !== undefined) linuxEnterLoss(this.s.linux, info.nowUs);
    this.s.dupAcks = 0;
    this.s.recover = info.sndMax;
    this.s.phase = 'loss-recovery';
  }

  /**
   * RFC 3168 §6.1.2: ECN-Echo is congestion as a loss is: ssthresh as for a loss, cwnd =
   * ssthresh ("halves the congestion window"), nothing retransmitted, and no further cut until
   * an ACK passes `recover`, the highest sequence number sent now (Linux's tcp_enter_cwr, which
   * then lowers cwnd towards ssthresh by PRR; here it drops at once, as the RFC says). Only from
   * a growing phase: in recovery the window is being cut already.
   */
  onEcnEcho(info: AckInfo): void {
    const growing =
      this.s.phase === 'slow-start' ||
      this.s.phase === 'conservative-slow-start' ||
      this.s.phase === 'congestion-avoidance';
    if (!growing) return;
    this.s.smss = info.smss;
    this.multiplicativeDecrease(info); // Linux: tcp_enter_cwr's ssthresh function
    this.s.cwnd = this.s.ssthresh;
    this.s.bytesAcked = 0;
    this.s.recover = info.sndMax;
    this.s.phase = 'cwr';
  }

  onIdleRestart(initialWindow: number, idleUs: number, rtoUs: number, nowUs: number): void {
    if (this.s.linux !== undefined) {
      linuxCwndRestart(this.s, this.s.linux, initialWindow, idleUs, rtoUs, nowUs);
    } else {
      // RFC 5681 §4.1: restart window RW = min(IW, cwnd).
      this.s.cwnd = Math.min(initialWindow, this.s.cwnd);
    }
    if (this.s.phase !== 'loss-recovery') this.s.phase = this.growthPhase();
  }

  onTransmitStart(_nowUs: number, _lastSentUs: number): void {}

  onSendPass(pass: SendPass): boolean {
    if (this.s.linux === undefined || !linuxValidate(this.s, this.s.linux, pass)) return false;
    if (this.s.phase !== 'loss-recovery') this.s.phase = this.growthPhase();
    return true;
  }

  /** Linux accounting: every ACK of new data, before any growth (the pkts_acked hook). */
  protected onLinuxAck(_info: AckInfo): void {}

  /** Linux accounting: tcp_reno_ssthresh, in packets. */
  protected linuxSsthresh(): number {
    return renoSsthresh(cwndPackets(this.s));
  }

  /** Linux accounting: tcp_reno_cong_avoid's additive increase, one packet per cwnd acked. */
  protected linuxAvoid(_info: AckInfo, acked: number, linux: LinuxGrowthState): void {
    congAvoidAi(this.s, linux, cwndPackets(this.s), acked);
  }

  /** Slow start (equation 2) or congestion avoidance with byte counting (+1 SMSS per cwnd acked). */
  protected grow(info: AckInfo): void {
    const linux = this.s.linux;
    if (linux !== undefined) {
      // Linux counts packets (tcp_cong_avoid): see linux-growth.ts.
      const avoid = (acked: number) => this.linuxAvoid(info, acked, linux);
      linuxCongAvoid(this.s, linux, info, avoid, slowStartShare(this.s));
    } else if (this.s.cwnd < this.s.ssthresh) {
      this.s.cwnd += slowStartIncrease(this.s, info); // RFC 5681 §3.1, equation (2)
    } else {
      this.s.bytesAcked += info.ackedBytes; // RFC 5681 §3.1, byte counting (RFC 3465)
      if (this.s.bytesAcked >= this.s.cwnd) {
        this.s.bytesAcked -= this.s.cwnd;
        this.s.cwnd += info.smss;
      }
    }
    if (this.s.phase !== 'loss-recovery') this.s.phase = this.growthPhase();
  }

  protected growthPhase(): CongestionPhase {
    if (this.s.cwnd >= this.s.ssthresh) return 'congestion-avoidance';
    return inConservativeSlowStart(this.s) ? 'conservative-slow-start' : 'slow-start';
  }

  protected covers(ack: SeqNum): boolean {
    return this.s.recover === undefined || seqGe(ack, this.s.recover as SeqNum);
  }
}

/** A copy that shares no object with `s`. */
function copyState(s: CongestionState): CongestionState {
  return {
    ...s,
    ...(s.cubic && { cubic: { ...s.cubic } }),
    ...(s.slowStartExit && { slowStartExit: { ...s.slowStartExit } }),
    ...(s.linux && { linux: copyLinuxGrowth(s.linux) }),
  };
}
