/**
 * The retransmission timer's estimator of RFC 6298. All times in microseconds.
 */

export interface RttState {
  srttUs: number | undefined;
  rttvarUs: number | undefined;
  rtoUs: number;
  /** Consecutive backoffs since the last valid sample (RFC 6298 §5.5). */
  backoffs: number;
  /** Linux's estimator only (tcp_rtt_estimator): its mean deviation and the RTO's variance term. */
  linux?: LinuxRtt;
}

/** Linux's tcp_sock fields for the RTO (µs, unscaled): mdev_us, mdev_max_us, rttvar_us, rtt_seq. */
export interface LinuxRtt {
  mdevUs: number;
  mdevMaxUs: number;
  varUs: number;
  /** SND.NXT when this RTT's window began: past it, mdev_max starts again. */
  rttSeq: number;
}

/**
 * How the RTO is computed: `rfc6298` (RFC 6298 §2: RTO = SRTT + 4*RTTVAR, then clamped to
 * [min, max]); `linux` (tcp_rtt_estimator and __tcp_set_rto: RTO = SRTT + max(RTTVAR terms,
 * min): the minimum bounds the variance term, not the whole RTO, so a 10 ms path gets a
 * 210 ms RTO, not 200 ms; a falling RTT moves the deviation by 1/32 instead of 1/4; the
 * variance term decays once per RTT; whole milliseconds, rounded up, as jiffies at HZ=1000).
 */
export type RttEstimator = 'rfc6298' | 'linux';

export interface RttLimits {
  initialUs: number;
  minUs: number;
  maxUs: number;
  estimator?: RttEstimator;
}

/** Clock granularity G of RFC 6298 §2: the simulation's clock ticks in microseconds. */
const GRANULARITY_US = 1;
const ALPHA = 1 / 8; // RFC 6298 §2.3
const BETA = 1 / 4; // RFC 6298 §2.3
const K = 4; // RFC 6298 §2

export function initialRtt(limits: RttLimits): RttState {
  // RFC 6298 §2.1: until a measurement is made, RTO = the initial value (1 s by default).
  return {
    srttUs: undefined,
    rttvarUs: undefined,
    rtoUs: clampRto(limits.initialUs, limits),
    backoffs: 0,
  };
}

/**
 * Takes a round-trip sample R (never one of a retransmitted segment: Karn, RFC 6298 §3).
 * `window` is SND.UNA and SND.NXT now, which Linux's estimator uses to tell one RTT from the
 * next.
 */
export function sampleRtt(
  state: RttState,
  rUs: number,
  limits: RttLimits,
  window: { una: number; nxt: number } = { una: 0, nxt: 0 },
): RttState {
  if (limits.estimator === 'linux') return linuxSample(state, rUs, limits, window);
  let srtt: number;
  let rttvar: number;
  if (state.srttUs === undefined || state.rttvarUs === undefined) {
    // RFC 6298 §2.2: the first measurement.
    srtt = rUs;
    rttvar = rUs / 2;
  } else {
    // RFC 6298 §2.3: RTTVAR first, with the old SRTT, then SRTT.
    rttvar = (1 - BETA) * state.rttvarUs + BETA * Math.abs(state.srttUs - rUs);
    srtt = (1 - ALPHA) * state.srttUs + ALPHA * rUs;
  }
  const rto = srtt + Math.max(GRANULARITY_US, K * rttvar);
  return {
    srttUs: Math.round(srtt),
    rttvarUs: Math.round(rttvar),
    rtoUs: clampRto(Math.round(rto), limits), // RFC 6298 §2.4-2.5
    backoffs: 0,
  };
}

/** RFC 6298 §5.5: on expiry, RTO = RTO * 2, within the maximum. */
export function backOff(state: RttState, limits: RttLimits): RttState {
  return { ...state, rtoUs: clampRto(state.rtoUs * 2, limits), backoffs: state.backoffs + 1 };
}

/** tcp_rtt_estimator() and tcp_set_rto() (net/ipv4/tcp_input.c), in unscaled µs. */
function linuxSample(
  state: RttState,
  rUs: number,
  limits: RttLimits,
  window: { una: number; nxt: number },
): RttState {
  const m = Math.max(1, Math.round(rUs));
  let srtt: number;
  let l: LinuxRtt;
  if (state.srttUs === undefined || state.linux === undefined) {
    // The first measurement: RTO = 3 * RTT, with the variance term at least the minimum.
    srtt = m;
    const mdev = m / 2;
    const variance = Math.max(2 * m, limits.minUs);
    l = { mdevUs: mdev, mdevMaxUs: variance, varUs: variance, rttSeq: window.nxt };
  } else {
    l = { ...state.linux };
    let error = m - state.srttUs;
    srtt = state.srttUs + error / 8; // SRTT = 7/8 SRTT + 1/8 R
    if (error < 0) {
      // The RTT fell: the deviation moves 1/32 of the way, so the RTO does not jump up.
      error = -error - l.mdevUs;
      if (error > 0) error /= 8;
    } else error -= l.mdevUs;
    l.mdevUs += error / 4; // mdev = 3/4 mdev + 1/4 |error|
    if (4 * l.mdevUs > l.mdevMaxUs) {
      l.mdevMaxUs = 4 * l.mdevUs;
      if (l.mdevMaxUs > l.varUs) l.varUs = l.mdevMaxUs;
    }
    if (((window.una - l.rttSeq) | 0) > 0) {
      // A new RTT: the variance term decays towards this RTT's largest deviation.
      if (l.mdevMaxUs < l.varUs) l.varUs -= (l.varUs - l.mdevMaxUs) / 4;
      l.rttSeq = window.nxt;
      l.mdevMaxUs = limits.minUs;
    }
  }
  // __tcp_set_rto(): in jiffies, rounded up (usecs_to_jiffies), then at most TCP_RTO_MAX.
  const rto = Math.ceil((srtt + l.varUs) / 1000) * 1000;
  return {
    srttUs: Math.round(srtt),
    rttvarUs: Math.round(l.mdevUs),
    rtoUs: Math.min(limits.maxUs, rto),
    backoffs: 0,
    linux: l,
  };
}

function clampRto(rtoUs: number, limits: RttLimits): number {
  return Math.min(limits.maxUs, Math.max(limits.minUs, rtoUs));
}
