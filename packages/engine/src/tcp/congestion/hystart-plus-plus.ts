/**
 * HyStart++ (RFC 9406), for any controller's initial slow start. Rounds are counted in
 * sequence space; when a round's smallest RTT rises by RttThresh over the last round's, slow
 * start gives way to Conservative Slow Start (CSS), which grows cwnd a quarter as fast. If
 * the RTT falls back below where CSS began, the exit was spurious and slow start resumes; after
 * CSS_ROUNDS rounds of CSS, congestion avoidance begins with ssthresh = cwnd.
 *
 * Invariants:
 * - it acts only in the initial slow start, while ssthresh keeps its initial, arbitrarily high
 *   value (§4.2: "only for the initial slow start"); any loss sets ssthresh and ends it;
 * - a round ends on the ACK that acknowledges `windowEnd`, which then moves to the highest
 *   sequence number sent; CSS is on while `cssBaselineMinRttUs` is set;
 * - "infinity" is undefined, so that the state stays plain JSON.
 */
import { seqGe, seq } from '../../wire/seq.js';
import type { AckInfo } from './controller.js';

/** RFC 9406 §4.3: the recommended constants. */
export const MIN_RTT_THRESH_US = 4000;
export const MAX_RTT_THRESH_US = 16_000;
export const MIN_RTT_DIVISOR = 8;
export const N_RTT_SAMPLE = 8;
export const CSS_GROWTH_DIVISOR = 4;
export const CSS_ROUNDS = 5;
/** §4.3: L = 8 for a sender that does not pace (the engine does not), infinity when paced. */
export const L_SEGMENTS = 8;

export interface HyStartPlusPlusState {
  kind: 'hystart++';
  /** §4.2 windowEnd; undefined until the first ACK starts the first round. */
  windowEnd: number | undefined;
  lastRoundMinRttUs: number | undefined;
  currentRoundMinRttUs: number | undefined;
  rttSampleCount: number;
  /** §4.2 cssBaselineMinRtt: set while in CSS. */
  cssBaselineMinRttUs: number | undefined;
  /** Rounds of CSS completed, the partial one it began in included. */
  cssRounds: number;
}

export function initialHyStartPlusPlus(): HyStartPlusPlusState {
  return {
    kind: 'hystart++',
    windowEnd: undefined,
    lastRoundMinRttUs: undefined,
    currentRoundMinRttUs: undefined,
    rttSampleCount: 0,
    cssBaselineMinRttUs: undefined,
    cssRounds: 0,
  };
}

export function inCss(h: HyStartPlusPlusState): boolean {
  return h.cssBaselineMinRttUs !== undefined;
}

/**
 * §4.2: how slow start grows while HyStart++ runs: cwnd += min(N, L*SMSS) for an ACK of N
 * octets (`cap` segments at most), and in CSS a CSS_GROWTH_DIVISOR-th of that (`divisor`).
 */
export interface SlowStartShare {
  cap: number;
  divisor: number;
}

export function hystartPlusPlusShare(h: HyStartPlusPlusState): SlowStartShare {
  return { cap: L_SEGMENTS, divisor: inCss(h) ? CSS_GROWTH_DIVISOR : 1 };
}

/**
 * §4.2 for an ACK in the initial slow start, after cwnd grew on it: takes the RTT sample,
 * enters or leaves CSS, and ends the round when `windowEnd` is acknowledged. Returns the new
 * ssthresh when CSS_ROUNDS rounds of CSS are complete.
 */
export function hystartPlusPlusOnAck(
  h: HyStartPlusPlusState,
  info: AckInfo,
  cwnd: number,
): number | undefined {
  if (h.windowEnd === undefined) startRound(h, info); // windowEnd initialized to SND.NXT
  if (info.rttUs !== undefined) {
    h.currentRoundMinRttUs = Math.min(h.currentRoundMinRttUs ?? Infinity, info.rttUs);
    h.rttSampleCount += 1;
  }
  const current = h.currentRoundMinRttUs;
  if (h.rttSampleCount >= N_RTT_SAMPLE && current !== undefined) {
    if (h.cssBaselineMinRttUs === undefined) {
      // Delay increase: exit slow start and enter CSS.
      const last = h.lastRoundMinRttUs;
      if (last !== undefined && current >= last + rttThresh(last)) {
        h.cssBaselineMinRttUs = current;
        h.cssRounds = 0;
      }
    } else if (current < h.cssBaselineMinRttUs) {
      h.cssBaselineMinRttUs = undefined; // the exit was spurious: resume slow start
    }
  }
  if (!seqGe(info.ack, seq(h.windowEnd ?? info.ack))) return undefined;
  // windowEnd is acknowledged: the round ends.
  if (inCss(h)) {
    h.cssRounds += 1;
    if (h.cssRounds >= CSS_ROUNDS) {
      // "If CSS_ROUNDS rounds are complete, enter congestion avoidance": ssthresh = cwnd.
      h.cssBaselineMinRttUs = undefined;
      return cwnd;
    }
  }
  startRound(h, info);
  return undefined;
}

/** RttThresh = max(MIN_RTT_THRESH, min(lastRoundMinRTT / MIN_RTT_DIVISOR, MAX_RTT_THRESH)). */
export function rttThresh(lastRoundMinRttUs: number): number {
  return Math.max(
    MIN_RTT_THRESH_US,
    Math.min(Math.floor(lastRoundMinRttUs / MIN_RTT_DIVISOR), MAX_RTT_THRESH_US),
  );
}

/** §4.2: at the start of each round the last round's minimum is kept and the current reset. */
function startRound(h: HyStartPlusPlusState, info: AckInfo): void {
  h.windowEnd = info.sndMax;
  h.lastRoundMinRttUs = h.currentRoundMinRttUs;
  h.currentRoundMinRttUs = undefined;
  h.rttSampleCount = 0;
}

/** §4.2: a loss during slow start or CSS ends HyStart++ (its response sets ssthresh). */
export function hystartPlusPlusOnLoss(h: HyStartPlusPlusState): void {
  h.cssBaselineMinRttUs = undefined;
}
