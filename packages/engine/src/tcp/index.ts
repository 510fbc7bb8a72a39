/**
 * tcp/: one TCP endpoint per `Connection`, by RFC 9293 §3.10 (Event Processing).
 *
 * Invariants (the property tests check them after every event):
 * - The state is one of the eleven of Figure 5 and changes only through `setState`, which
 *   traces `from -> to` with its cause.
 * - SND.UNA =< SND.NXT =< the highest sequence number sent; what lies between SND.UNA and the
 *   highest sent is in the send queue (plus SYN and FIN); windows are never negative, and the
 *   advertised right edge RCV.NXT + RCV.WND never moves left.
 * - Bytes reach the application once, in order: out-of-order data waits in reassembly,
 *   duplicates are discarded.
 * - Time is an argument (`now`, integer microseconds); a connection never reads a clock, never
 *   draws a random number (its ISS comes from the simulation) and never does I/O. It says when
 *   it next needs attention (`nextDeadline`) and emits segments and trace events through
 *   `ConnectionEnv`.
 * - Every rule cites its RFC section beside the code; where the RFCs leave a choice, the choice
 *   is an option (`EndpointOptions`) whose comment names what common stacks do.
 * - A connection serialises to JSON (`toState`) and back (`fromState`) with nothing lost.
 * - Loss recovery beyond RFC 6675 (RACK-TLP, PRR, D-SACK) is optional and lives in
 *   loss-recovery.ts and the modules it uses; with those options off it does not run.
 */
export { DEFAULT_PEER_MSS, MAX_WINDOW, Connection } from './connection.js';
export type {
  ConnectionEnv,
  ConnectionState,
  Counters,
  Endpoint,
  TimerTable,
} from './connection.js';
export {
  Cubic,
  CUBIC_BETA,
  CUBIC_C,
  wCubic,
  createController,
  initialWindowBytes,
  NewReno,
  newController,
  Reno,
  Tahoe,
  type AckInfo,
  type CongestionAction,
  type CongestionAlgorithm,
  type CongestionController,
  type CongestionPhase,
  type CongestionState,
} from './congestion/index.js';
export type { EcnMode, EcnState } from './ecn.js';
export { acceptable, segmentArrives, segmentLength } from './input.js';
export { LIVE_OPTIONS, OptionChangeError } from './live-options.js';
export type { LossRecoveryState } from './loss-recovery.js';
export type { LossState } from './loss-state.js';
export {
  DEFAULT_OPTIONS,
  resolveOptions,
  type EndpointOptions,
  type KeepaliveOptions,
} from './options.js';
export type { PushState } from './push.js';
export { backOff, initialRtt, sampleRtt, type RttLimits, type RttState } from './rtt.js';
export { PROFILES, profileOptions, type Profile } from './profiles.js';
export { CA_STATE, INFINITE_SSTHRESH, type CaState, type TcpInfo } from './tcp-info.js';
export { canReceiveData, carriesOurData, TCP_STATES, type TcpState } from './state.js';
export { cwndQuota, tsoSegments } from './tso.js';
export type { UserTimeoutState } from './user-timeout.js';
