/**
 * @tcplab/client/scenarios: scenario files (parse and check them), the runner, the targets it
 * runs on (a service over REST, or the engine in this process), and segments as lines.
 */
export { checkExpectations, resolveRef, type Check, type Observed } from './expect.js';
export {
  addressKey,
  formatSegments,
  lineText,
  matchSegments,
  segmentFormatter,
  type FormattedSegment,
  type LineOptions,
  type SegmentEvent,
  type SequenceMatch,
} from './lines.js';
export { IN_PROCESS, localSession, localTarget } from './local-target.js';
export { parseScenario, ScenarioError, validateScenario, type ScenarioProblem } from './parse.js';
export { restSession, restTarget } from './rest-target.js';
export { renderLadder, type LadderOptions } from './ladder.js';
export {
  playScenario,
  runScenario,
  ScenarioPlayer,
  type NextStep,
  type PlayedScenario,
  type Progress,
  type RunOptions,
  type ScenarioResult,
} from './run.js';
export { recordingTarget, type BareCall, type LabSession, type LabTarget } from './target.js';
