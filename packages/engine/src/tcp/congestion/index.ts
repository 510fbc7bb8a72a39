import type {
  CongestionAlgorithm,
  CongestionController,
  CongestionState,
  GrowthOptions,
} from './controller.js';
import { Cubic } from './cubic.js';
import { NewReno } from './newreno.js';
import { Reno } from './reno.js';
import { Tahoe } from './tahoe.js';

export * from './controller.js';
export { Cubic, CUBIC_BETA, CUBIC_C, wCubic } from './cubic.js';
export type { HyStartState } from './hystart.js';
export type { HyStartPlusPlusState } from './hystart-plus-plus.js';
export type { LinuxCubicState } from './linux-cubic.js';
export type { CwndAccounting, LinuxGrowthState, SendPass } from './linux-growth.js';
export { NewReno } from './newreno.js';
export { DUPACK_THRESHOLD, Reno } from './reno.js';
export { Tahoe } from './tahoe.js';

/** The controller for `state.algorithm`, continuing from `state`. */
export function createController(state: CongestionState): CongestionController {
  switch (state.algorithm) {
    case 'newreno':
      return new NewReno(state);
    case 'reno':
      return new Reno(state);
    case 'tahoe':
      return new Tahoe(state);
    case 'cubic':
      return new Cubic(state);
  }
}

/** A fresh controller with the initial window, growing as `growth` says. */
export function newController(
  algorithm: CongestionAlgorithm,
  iwBytes: number,
  smss: number,
  growth: GrowthOptions = {},
): CongestionController {
  return createController(Reno.initial(algorithm, iwBytes, smss, growth));
}
