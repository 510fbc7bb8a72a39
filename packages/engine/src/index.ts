/**
 * @tcplab/engine: a pure, deterministic TCP implementation and the simulated network it runs
 * on. Time and a seed are inputs; segments and trace events are outputs. Same seed + same
 * commands = the same trace, byte for byte.
 */
export * from './wire/index.js';
export * from './tcp/index.js';
export { DEFAULT_LINK, type BurstLoss, type LinkSettings } from './net/link.js';
export type { FaultAction, FaultMatch, FaultRule } from './net/faults.js';
export { ENGINE_BEHAVIOUR } from './sim/behaviour.js';
export { Prng, type PrngState } from './sim/prng.js';
export { EventQueue, type EventQueueState, type Scheduled } from './sim/event-queue.js';
export {
  Simulation,
  SimulationError,
  type EndpointInfo,
  type EndpointStatus,
  type EndpointSpec,
  type SimulationConfig,
  type SimulationSnapshot,
} from './sim/simulation.js';
export type {
  AppError,
  Metrics,
  SegmentFate,
  SegmentLabel,
  SocketAddress,
  TimerKind,
  TraceBody,
  TraceEvent,
} from './trace/events.js';
export { formatSegment, formatSegmentLine } from './trace/format.js';
export { PcapngWriter, toPcapng, type PcapSegment } from './trace/pcapng.js';
