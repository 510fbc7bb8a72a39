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
  hystartPlusPlusIncrease,
  hystartPlusPlusOnAck,
  hystartPlusPlusOnLoss,
  initialHyStartPlusPlus,
  inCss,
} from './hystart-plus-plus.js';

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
    epochStartUs: s.cubic?.epochStartUs,
  });
  if (ssthresh !== undefined) s.ssthresh = ssthresh;
}

/** The octets slow start adds for an ACK: RFC 5681 §3.1 equation (2), or HyStart++'s rule. */
export function slowStartIncrease(s: CongestionState, info: AckInfo): number {
  if (s.slowStartExit?.kind === 'hystart++' && plusPlusActive(s)) {
    return hystartPlusPlusIncrease(s.slowStartExit, info.ackedBytes, info.smss);
  }
  return Math.min(info.ackedBytes, info.smss);
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
