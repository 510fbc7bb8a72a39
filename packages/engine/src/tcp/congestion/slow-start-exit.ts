/**
 * Slow-start exit heuristics, for any controller: where slow start may end before a loss
 * ends it. `hystart` is Linux's (CUBIC's HyStart, hystart.ts), `hystart++` RFC 9406's
 * (hystart-plus-plus.ts). A controller calls these around its slow-start growth on each ACK of
 * new data; their state lives in `CongestionState.slowStartExit`, so snapshots carry it.
 */
import {
  INITIAL_SSTHRESH,
  type AckInfo,
  type CongestionState,
  type SlowStartExit,
  type SlowStartExitState,
} from './controller.js';
import { hystartOnAck, hystartOnTimeout, initialHyStart } from './hystart.js';
import {
  hystartPlusPlusShare,
  hystartPlusPlusOnAck,
  hystartPlusPlusOnLoss,
  initialHyStartPlusPlus,
  inCss,
  type SlowStartShare,
} from './hystart-plus-plus.js';
import { linuxEpochStartUs } from './linux-cubic.js';

export function initialSlowStartExit(
  kind: SlowStartExit | undefined,
): SlowStartExitState | undefined {
  switch (kind) {
    case 'hystart':
      return initialHyStart();
    case 'hystart++':
      return initialHyStartPlusPlus();
    default:
      return undefined;
  }
}

/** HyStart++ runs in the initial slow start only, while ssthresh has its initial value. */
function plusPlusActive(s: CongestionState): boolean {
  return s.ssthresh === INITIAL_SSTHRESH && s.cwnd < s.ssthresh;
}

/** Before slow start grows cwnd on an ACK: HyStart may end slow start here, ssthresh = cwnd. */
export function beforeSlowStartGrowth(s: CongestionState, info: AckInfo): void {
  if (s.slowStartExit?.kind !== 'hystart') return;
  const ssthresh = hystartOnAck(s.slowStartExit, info, {
    cwnd: s.cwnd,
    ssthresh: s.ssthresh,
    // CUBIC's epoch: Linux's own with Linux accounting (linux-cubic.ts), else RFC 9438's.
    epochStartUs: s.linux?.cubic ? linuxEpochStartUs(s.linux.cubic) : s.cubic?.epochStartUs,
  });
  if (ssthresh !== undefined) s.ssthresh = ssthresh;
}

/** HyStart++'s limit on slow start's growth while it runs; undefined when there is none. */
export function slowStartShare(s: CongestionState): SlowStartShare | undefined {
  if (s.slowStartExit?.kind !== 'hystart++' || !plusPlusActive(s)) return undefined;
  return hystartPlusPlusShare(s.slowStartExit);
}

/**
 * The octets slow start adds for an ACK: RFC 5681 §3.1 equation (2), min(N, SMSS), or with
 * HyStart++ min(N, L*SMSS), divided in CSS (RFC 9406 §4.2).
 */
export function slowStartIncrease(s: CongestionState, info: AckInfo): number {
  const share = slowStartShare(s);
  if (share === undefined) return Math.min(info.ackedBytes, info.smss);
  return Math.floor(Math.min(info.ackedBytes, share.cap * info.smss) / share.divisor);
}

/** After slow start grew cwnd on an ACK: HyStart++ takes its sample and counts its rounds. */
export function afterSlowStartGrowth(s: CongestionState, info: AckInfo): void {
  if (s.slowStartExit?.kind !== 'hystart++' || !plusPlusActive(s)) return;
  const ssthresh = hystartPlusPlusOnAck(s.slowStartExit, info, s.cwnd);
  if (ssthresh !== undefined) s.ssthresh = ssthresh;
}

/** A loss: a timeout restarts HyStart (Linux); any loss ends HyStart++'s CSS. */
export function slowStartExitOnLoss(s: CongestionState, info: AckInfo, timeout: boolean): void {
  if (s.slowStartExit?.kind === 'hystart' && timeout) hystartOnTimeout(s.slowStartExit, info);
  if (s.slowStartExit?.kind === 'hystart++') hystartPlusPlusOnLoss(s.slowStartExit);
}

/** RFC 9406 §4.2: Conservative Slow Start is under way. */
export function inConservativeSlowStart(s: CongestionState): boolean {
  return s.slowStartExit?.kind === 'hystart++' && plusPlusActive(s) && inCss(s.slowStartExit);
}
