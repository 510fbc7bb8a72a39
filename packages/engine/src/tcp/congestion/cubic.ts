/**
 * CUBIC (RFC 9438): after a reduction the window follows W_cubic(t) = C (t - K)^3 + W_max,
 * concave up to the old maximum, then convex beyond it; in the Reno-friendly region it grows
 * at least as fast as Reno would (W_est). Reductions use beta = 0.7 and fast convergence.
 * Loss recovery itself is NewReno's, or RFC 6675's with SACK (RFC 9438 §4.6 allows any
 * standard recovery).
 */
import type { AckInfo, CongestionState, CubicState } from './controller.js';
import {
  cubicSampleDelay,
  cubicSsthresh,
  cubicTransmitStart,
  cubicUpdate,
  initialLinuxCubic,
  type LinuxCubicState,
} from './linux-cubic.js';
import { congAvoidAi, cwndPackets, linuxEnterLoss, type LinuxGrowthState } from './linux-growth.js';
import { NewReno } from './newreno.js';
import { slowStartExitOnLoss } from './slow-start-exit.js';

/** RFC 9438 §5: C = 0.4, beta_cubic = 0.7. */
export const CUBIC_C = 0.4;
export const CUBIC_BETA = 0.7;
/** RFC 9438 §4.3: alpha_cubic = 3 (1 - beta) / (1 + beta). */
const ALPHA_CUBIC = (3 * (1 - CUBIC_BETA)) / (1 + CUBIC_BETA);

export function initialCubic(): CubicState {
  return { wMax: 0, wLastMax: 0, epochStartUs: undefined, k: 0, wEst: 0, cwndEpoch: 0 };
}

/** W_cubic(t) in segments, t in seconds (RFC 9438 §4.2, equation 1). */
export function wCubic(cubic: CubicState, t: number): number {
  return CUBIC_C * (t - cubic.k) ** 3 + cubic.wMax;
}

export class Cubic extends NewReno {
  constructor(state: CongestionState) {
    super({
      ...state,
      cubic: state.cubic ?? initialCubic(),
      ...(state.linux && {
        linux: { ...state.linux, cubic: state.linux.cubic ?? initialLinuxCubic() },
      }),
    });
  }

  private get c(): CubicState {
    return this.s.cubic as CubicState;
  }

  /** Linux accounting: tcp_cubic.c's state (linux-cubic.ts). */
  private get lc(): LinuxCubicState {
    return this.s.linux?.cubic as LinuxCubicState;
  }

  /** RFC 9438 §4.6-4.7: remember W_max (with fast convergence), then ssthresh = cwnd * beta. */
  protected override multiplicativeDecrease(info: AckInfo): void {
    this.reduce(info);
  }

  private reduce(info: AckInfo): void {
    if (this.s.linux !== undefined) {
      this.s.ssthresh = this.lossSsthresh(info); // Linux's own arithmetic (linuxSsthresh)
      return;
    }
    const cwndSegments = this.s.cwnd / info.smss;
    const c = this.c;
    if (cwndSegments < c.wLastMax) {
      c.wLastMax = cwndSegments;
      c.wMax = (cwndSegments * (1 + CUBIC_BETA)) / 2; // fast convergence: release bandwidth
    } else {
      c.wLastMax = cwndSegments;
      c.wMax = cwndSegments;
    }
    c.epochStartUs = undefined;
    this.s.ssthresh = Math.max(Math.floor(this.s.cwnd * CUBIC_BETA), 2 * info.smss);
  }

  override onRto(info: AckInfo, repeated: boolean): void {
    // RFC 9438 §4.8: a timeout reduces like a loss (once per episode) and restarts the epoch.
    if (!repeated) this.reduce(info);
    slowStartExitOnLoss(this.s, info, true); // Linux cubictcp_state(TCP_CA_Loss)
    this.s.cwnd = info.smss;
    this.s.bytesAcked = 0;
    this.s.dupAcks = 0;
    this.s.recover = info.sndMax;
    this.s.phase = 'loss-recovery';
    this.c.epochStartUs = undefined;
    if (this.s.linux !== undefined) {
      linuxEnterLoss(this.s.linux, info.nowUs);
      this.s.linux.cubic = initialLinuxCubic(); // cubictcp_state(TCP_CA_Loss) forgets it all
    }
  }

  /** cubictcp_acked: every ACK of new data may lower the least RTT seen. */
  protected override onLinuxAck(info: AckInfo): void {
    cubicSampleDelay(this.lc, info.rttUs, info.nowUs);
  }

  /** cubictcp_recalc_ssthresh (RFC 9438 §4.6-4.7 in Linux's integers), in packets. */
  protected override linuxSsthresh(): number {
    return cubicSsthresh(this.lc, cwndPackets(this.s));
  }

  /** cubictcp_cong_avoid: one packet more per `cnt` acknowledged (bictcp_update). */
  protected override linuxAvoid(info: AckInfo, acked: number, linux: LinuxGrowthState): void {
    const cnt = cubicUpdate(this.lc, cwndPackets(this.s), acked, info.nowUs);
    congAvoidAi(this.s, linux, cnt, acked);
  }

  override onTransmitStart(nowUs: number, lastSentUs: number): void {
    if (this.s.linux !== undefined) cubicTransmitStart(this.lc, nowUs, lastSentUs);
  }

  /**
   * Congestion avoidance follows the cubic curve (RFC 9438 §4.2-4.5); slow start is Reno's, and
   * so is all of Linux accounting's growth, which calls back into `linuxAvoid`.
   */
  protected override grow(info: AckInfo): void {
    if (this.s.linux !== undefined || this.s.cwnd < this.s.ssthresh || info.ackedBytes === 0) {
      super.grow(info);
      return;
    }
    const c = this.c;
    const smss = info.smss;
    const cwnd = this.s.cwnd / smss;
    if (c.epochStartUs === undefined) {
      // A new epoch: K from the distance to W_max (RFC 9438 §4.2, equation 2).
      c.epochStartUs = info.nowUs;
      c.cwndEpoch = cwnd;
      c.wEst = cwnd;
      if (c.wMax < cwnd) c.wMax = cwnd;
      c.k = Math.cbrt((c.wMax - cwnd) / CUBIC_C);
    }
    const rtt = (info.srttUs ?? 100_000) / 1e6;
    const t = (info.nowUs - c.epochStartUs) / 1e6;
    // RFC 9438 §4.3: the Reno-friendly estimate grows by alpha per window acknowledged.
    c.wEst += (ALPHA_CUBIC * (info.ackedBytes / smss)) / cwnd;
    let next: number;
    if (wCubic(c, t) < c.wEst) {
      next = c.wEst; // Reno-friendly region
    } else {
      // RFC 9438 §4.4-4.5: aim at W_cubic one RTT ahead, within [cwnd, 1.5 cwnd].
      const target = Math.min(Math.max(wCubic(c, t + rtt), cwnd), 1.5 * cwnd);
      next = cwnd + ((target - cwnd) * (info.ackedBytes / smss)) / cwnd;
    }
    this.s.cwnd = Math.max(this.s.cwnd, Math.round(next * smss));
    if (this.s.phase !== 'loss-recovery') this.s.phase = this.growthPhase();
  }
}
