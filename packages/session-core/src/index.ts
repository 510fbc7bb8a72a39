/**
 * @tcplab/session-core: what a session does to its simulation, shared by the session service
 * and the in-process scenario runner so that both give the same answers and the same trace.
 * - commands.ts: the commands of a session's log and how each is applied (a rebuild replays
 *   them: same seed + same commands = same trace);
 * - refusals.ts: the engine's refusals as the API's problems (409 EISCONN, 404, ...);
 * - faults.ts: fault rules and injected segments from the API's bodies to commands;
 * - options.ts: setsockopt() on a live endpoint, from the API's body to its command;
 * - views.ts: the engine's state and trace events as the REST contract shows them.
 */
export {
  applyNow,
  applySliced,
  moveClock,
  payloadBytes,
  SLICE_MS,
  type CommandResult,
  type InjectedSegment,
  type SessionCommand,
} from './commands.js';
export { faultCommand, faultView, injectCommand } from './faults.js';
export { optionsCommand } from './options.js';
export { receiveRefusal, refusalOf, type Refusal, type SocketCall } from './refusals.js';
export {
  endpointView,
  eventView,
  liveEventView,
  pcapSegment,
  segmentEventView,
  segmentRow,
  segmentView,
  type SegmentRow,
} from './views.js';
