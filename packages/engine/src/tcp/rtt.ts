/**
 * The retransmission timer's estimator of RFC 6298. All times in microseconds.
 */

export interface RttState {
  srttUs: number | undefined;
  rttvarUs: number | undefined;
  rtoUs: number;
  /** Consecutive backoffs since the last valid sample (RFC 6298 §5.5). */
  backoffs: number;
}

export interface RttLimits {
  initialUs: number;
  minUs: number;
  maxUs: number;
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

/** Takes a round-trip sample R (never one of a retransmitted segment: Karn, RFC 6298 §3). */
export function sampleRtt(state: RttState, rUs: number, limits: RttLimits): RttState {
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

function clampRto(rtoUs: number, limits: RttLimits): number {
  return Math.min(limits.maxUs, Math.max(limits.minUs, rtoUs));
}
