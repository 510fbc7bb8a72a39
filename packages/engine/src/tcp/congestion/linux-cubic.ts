/**
 * CUBIC as Linux computes it (net/ipv4/tcp_cubic.c), for `cwndAccounting: 'linux'`. The curve
 * is RFC 9438's, but the arithmetic is Linux's own and differs from cubic.ts:
 * - integers throughout: cwnd in packets, time in jiffies (here 1 ms, HZ = 1000) and in
 *   1/1024 s for the curve, C = 41/1024 * 10 against a fixed 100 ms RTT scale, beta = 717/1024;
 * - the curve is read at t + delay_min (the least RTT seen), not t + SRTT (RFC 9438 §4.4), and
 *   turned into `cnt`, the packets to acknowledge for one more packet of cwnd (bictcp_update),
 *   recomputed at most once per jiffy and, while cwnd is unchanged, at most every HZ/32;
 * - before the first loss (W_max = 0) cwnd grows at least 5% per RTT (cnt at most 20), and
 *   never faster than one packet per two acknowledged (cnt at least 2);
 * - the Reno-friendly estimate counts ACKed packets against a fixed per-window step
 *   (tcp_friendliness) rather than RFC 9438 §4.3's alpha;
 * - a retransmission timeout clears all of it, W_max included (cubictcp_state on TCP_CA_Loss);
 * - after an idle period the epoch moves forward by the idle time, so the curve does not
 *   credit time spent sending nothing (cubictcp_cwnd_event, CA_EVENT_TX_START).
 * K is the exact integer cube root; Linux approximates it (a table and one Newton-Raphson step,
 * within about 0.2%).
 */

/** BICTCP_BETA_SCALE and beta: the multiplicative decrease 717/1024 (about 0.7). */
const BETA_SCALE = 1024;
const BETA = 717;
/** bic_scale: C = 41/1024 * 10 = 0.4 with the 100 ms RTT scale folded in. */
const BIC_SCALE = 41;
/** BICTCP_HZ: the curve's clock ticks 2^10 times a second. */
const CURVE_HZ_SHIFT = 10;
/** Jiffies per second. Linux's HZ is a build option; packetdrill's kernels mostly use 1000. */
const HZ = 1000;
const CUBE_RTT_SCALE = BigInt(BIC_SCALE * 10);
/** 2^40 / (bic_scale * 10): K^3 for one packet of distance to W_max, in curve ticks. */
const CUBE_FACTOR = Math.floor(2 ** (10 + 3 * CURVE_HZ_SHIFT) / (BIC_SCALE * 10));
/** beta_scale: 8 (1 + beta) / 3 / (1 - beta), for the Reno-friendly step. */
const FRIENDLY_SCALE = Math.floor(Math.floor((8 * (BETA_SCALE + BETA)) / 3) / (BETA_SCALE - BETA));

export interface LinuxCubicState {
  /** Packets to acknowledge for cwnd to grow by one. */
  cnt: number;
  /** W_max: cwnd (packets) before the last reduction; 0 before any. */
  lastMaxCwnd: number;
  /** cwnd and the jiffy when `cnt` was last computed. */
  lastCwnd: number;
  lastTime: number;
  /** The curve's origin (packets) and K (1/1024 s) for this epoch. */
  originPoint: number;
  k: number;
  /** The least RTT seen (µs), delay_min; undefined until the first sample. */
  delayMinUs: number | undefined;
  /** The jiffy the epoch began; undefined outside one. */
  epochStart: number | undefined;
  /** Packets acknowledged, for the Reno-friendly estimate `tcpCwnd`. */
  ackCnt: number;
  tcpCwnd: number;
}

export function initialLinuxCubic(): LinuxCubicState {
  return {
    cnt: 0,
    lastMaxCwnd: 0,
    lastCwnd: 0,
    lastTime: 0,
    originPoint: 0,
    k: 0,
    delayMinUs: undefined,
    epochStart: undefined,
    ackCnt: 0,
    tcpCwnd: 0,
  };
}

/** The jiffy of a virtual time. */
export function jiffies(us: number): number {
  return Math.floor(us / (1_000_000 / HZ));
}

/** The integer cube root, rounded down. */
export function cubeRoot(a: number): number {
  let x = Math.floor(Math.cbrt(a));
  while (x ** 3 > a) x -= 1;
  while ((x + 1) ** 3 <= a) x += 1;
  return x;
}

/**
 * cubictcp_recalc_ssthresh: the epoch ends; W_max is cwnd, or with fast convergence (RFC 9438
 * §4.7) (1 + beta) / 2 of it when cwnd did not get back to the last W_max. Returns ssthresh.
 */
export function cubicSsthresh(c: LinuxCubicState, cwnd: number): number {
  c.epochStart = undefined;
  if (cwnd < c.lastMaxCwnd) {
    c.lastMaxCwnd = Math.floor((cwnd * (BETA_SCALE + BETA)) / (2 * BETA_SCALE));
  } else {
    c.lastMaxCwnd = cwnd;
  }
  return Math.max(Math.floor((cwnd * BETA) / BETA_SCALE), 2);
}

/** When the epoch began (µs, the start of its jiffy); undefined outside one. */
export function linuxEpochStartUs(c: LinuxCubicState): number | undefined {
  return c.epochStart === undefined ? undefined : c.epochStart * (1_000_000 / HZ);
}

/** What cubictcp_acked takes from an ACK's RTT sample. */
export interface DelaySample {
  /** The sample, at least 1 µs. */
  delayUs: number;
  /** The least delay seen, this one included (delay_min). */
  minUs: number;
}

/**
 * cubictcp_acked: the delay an ACK's RTT sample gives and the least so far, or undefined when
 * there is no sample or the epoch (`epochStartUs`) began less than a second ago: just after a
 * recovery the samples are discarded. HyStart (hystart.ts) and the curve share this filter.
 */
export function cubicDelaySample(
  minUs: number | undefined,
  rttUs: number | undefined,
  nowUs: number,
  epochStartUs: number | undefined,
): DelaySample | undefined {
  if (rttUs === undefined) return undefined;
  if (epochStartUs !== undefined && nowUs - epochStartUs < 1_000_000) return undefined;
  const delayUs = Math.max(1, rttUs);
  return { delayUs, minUs: minUs === undefined ? delayUs : Math.min(minUs, delayUs) };
}

/** cubictcp_acked, for the curve: keep the least RTT. */
export function cubicSampleDelay(
  c: LinuxCubicState,
  rttUs: number | undefined,
  nowUs: number,
): void {
  const sample = cubicDelaySample(c.delayMinUs, rttUs, nowUs, linuxEpochStartUs(c));
  if (sample !== undefined) c.delayMinUs = sample.minUs;
}

/** cubictcp_cwnd_event(CA_EVENT_TX_START): shift the epoch by the time spent idle. */
export function cubicTransmitStart(c: LinuxCubicState, nowUs: number, lastSentUs: number): void {
  const now = jiffies(nowUs);
  const idle = now - jiffies(lastSentUs);
  if (c.epochStart === undefined || idle <= 0) return;
  c.epochStart = Math.min(c.epochStart + idle, now);
}

/** bictcp_update: `cnt` for a cwnd of `cwnd` packets, after `acked` more were acknowledged. */
export function cubicUpdate(
  c: LinuxCubicState,
  cwnd: number,
  acked: number,
  nowUs: number,
): number {
  const now = jiffies(nowUs);
  c.ackCnt += acked;
  if (c.lastCwnd === cwnd && now - c.lastTime <= Math.floor(HZ / 32)) return c.cnt;
  // At most once per jiffy (a reduction ends the epoch, which forces a new value).
  if (c.epochStart === undefined || now !== c.lastTime) {
    c.lastCwnd = cwnd;
    c.lastTime = now;
    c.cnt = curveCnt(c, cwnd, acked, now);
  }
  friendliness(c, cwnd);
  // At most one packet of growth per two acknowledged: 1.5 times per RTT.
  c.cnt = Math.max(c.cnt, 2);
  return c.cnt;
}

/** The cubic function's `cnt` (RFC 9438 §4.2's W_cubic, in Linux's units). */
function curveCnt(c: LinuxCubicState, cwnd: number, acked: number, now: number): number {
  if (c.epochStart === undefined) {
    c.epochStart = now;
    c.ackCnt = acked;
    c.tcpCwnd = cwnd;
    if (c.lastMaxCwnd <= cwnd) {
      c.k = 0;
      c.originPoint = cwnd;
    } else {
      // K = cbrt((W_max - cwnd) / C), in 1/1024 s (RFC 9438 §4.2, equation 2).
      c.k = cubeRoot(CUBE_FACTOR * (c.lastMaxCwnd - cwnd));
      c.originPoint = c.lastMaxCwnd;
    }
  }
  // t is read one minimum RTT ahead, in 1/1024 s.
  const elapsed = now - c.epochStart + Math.ceil((c.delayMinUs ?? 0) / (1_000_000 / HZ));
  const t = Math.floor((elapsed * 2 ** CURVE_HZ_SHIFT) / HZ);
  const offs = BigInt(Math.abs(t - c.k));
  const delta = Number((CUBE_RTT_SCALE * offs * offs * offs) >> BigInt(10 + 3 * CURVE_HZ_SHIFT));
  const target = t < c.k ? c.originPoint - delta : c.originPoint + delta;
  let cnt = target > cwnd ? Math.floor(cwnd / (target - cwnd)) : 100 * cwnd;
  // Before any loss the available bandwidth is unknown: grow at least 5% per RTT.
  if (c.lastMaxCwnd === 0 && cnt > 20) cnt = 20;
  return cnt;
}

/** tcp_friendliness: never grow slower than Reno would have from the epoch's start. */
function friendliness(c: LinuxCubicState, cwnd: number): void {
  const step = (cwnd * FRIENDLY_SCALE) >> 3;
  if (step > 0 && c.ackCnt > step) {
    const windows = Math.floor((c.ackCnt - 1) / step);
    c.ackCnt -= windows * step;
    c.tcpCwnd += windows;
  }
  if (c.tcpCwnd > cwnd) {
    const maxCnt = Math.floor(cwnd / (c.tcpCwnd - cwnd));
    if (c.cnt > maxCnt) c.cnt = maxCnt;
  }
}
