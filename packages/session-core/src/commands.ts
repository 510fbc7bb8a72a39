/**
 * The commands of a session's log and how each is applied to its simulation. Applying the same
 * commands in the same order to a simulation made from the same settings gives the same trace,
 * byte for byte: that is how a session is rebuilt after a restart.
 *
 * A command is applied by a generator that yields between slices of a long clock move: live,
 * the service lets other work run there (`applySliced`); a rebuild runs it straight through
 * (`applyNow`). Both run exactly the same events.
 */
import {
  parseFlags,
  seq,
  type EcnCodepoint,
  type FaultAction,
  type FaultMatch,
  type LinkSettings,
  type Simulation,
  type TcpOptions,
} from '@tcplab/engine';
import type { CreateEndpoint, Send } from '@tcplab/contract';

/** A hand-made segment as the log keeps it: flags as tcpdump writes them, payload in base64. */
export interface InjectedSegment {
  src: { address: string; port: number };
  dst: { address: string; port: number };
  flags: string;
  seq: number;
  ack: number;
  window: number;
  base64: string;
  options: TcpOptions;
  /** The IP ECN field (RFC 3168 §5); absent for Not-ECT. */
  ecn?: EcnCodepoint;
}

export type SessionCommand =
  | { kind: 'addEndpoint'; spec: CreateEndpoint }
  | { kind: 'listen'; endpointId: string }
  | { kind: 'connect'; endpointId: string; remote: { address: string; port: number } }
  | { kind: 'send'; endpointId: string; data: Send }
  | { kind: 'receive'; endpointId: string; max: number }
  | { kind: 'shutdown'; endpointId: string }
  | { kind: 'close'; endpointId: string }
  | { kind: 'abort'; endpointId: string }
  | { kind: 'step' }
  /** `maxEvents`: the move stops once it has produced this many trace events. */
  | { kind: 'advance'; ms: number; maxEvents?: number }
  | { kind: 'run'; maxMs: number; maxEvents?: number }
  | { kind: 'setLink'; link: Partial<LinkSettings> }
  /** `match` with endpoint ids already resolved to addresses (the log must not depend on them). */
  | { kind: 'addFault'; match: FaultMatch; action: FaultAction; delayMs?: number }
  | { kind: 'removeFault'; faultId: string }
  | { kind: 'inject'; segment: InjectedSegment }
  /** A realtime clock's tick: the session was brought to the command's time, nothing more. */
  | { kind: 'tick' };

export type CommandResult =
  | { kind: 'endpoint'; endpointId: string }
  | { kind: 'sent'; accepted: number }
  | { kind: 'received'; data: Uint8Array; eof: boolean }
  /** `limited`: a clock move stopped at its `maxEvents` before its time. */
  | { kind: 'clock'; idle: boolean; limited: boolean }
  | { kind: 'fault'; faultId: string }
  | { kind: 'done' };

const ALPHABET = 26;
const LOWER_A = 0x61;

/**
 * The a-z pattern, as long as the longest `{bytes: n}` sent so far. It is never written after
 * it is made, so a send hands the engine a view of it (a send buffer may keep the array
 * itself): a 30 MB send allocates and copies nothing, and holds up nothing else.
 */
let pattern = new Uint8Array(0);

function patternOf(length: number): Uint8Array {
  if (pattern.length < length) {
    const grown = new Uint8Array(Math.max(length, Math.min(2 * pattern.length, 1 << 30)));
    for (let i = 0; i < Math.min(ALPHABET, grown.length); i++) grown[i] = LOWER_A + i;
    // Doubling copies: megabytes of pattern in a few dozen native copies, not a loop per byte.
    for (let filled = ALPHABET; filled < grown.length; filled *= 2) {
      grown.copyWithin(filled, 0, Math.min(filled, grown.length - filled));
    }
    pattern = grown;
  }
  return pattern.subarray(0, length);
}

/**
 * `{bytes: n}`: the repeating a-z pattern, only as much of it as the send buffer takes now
 * (a request for a gigabyte takes what fits, not a gigabyte).
 */
function generatedBytes(sim: Simulation, endpointId: string, requested: number): Uint8Array {
  return patternOf(Math.min(requested, sendRoom(sim, endpointId)));
}

/** What the send buffer of `endpointId` takes now. */
function sendRoom(sim: Simulation, endpointId: string): number {
  const c = sim.connection(endpointId);
  return Math.max(0, c.options.sndBuffer - c.sndQueue.length);
}

/**
 * The payload bytes a command hands the endpoints (a send's, as much of `{bytes: n}` as the
 * buffer takes; an inject's), counted without making them: what the service checks against
 * the bytes a session may hold before it applies the command. 0 for any other command.
 */
export function payloadBytes(sim: Simulation, command: SessionCommand): number {
  if (command.kind === 'inject') return base64Bytes(command.segment.base64);
  if (command.kind !== 'send' || !sim.endpointIds().includes(command.endpointId)) return 0;
  const { data } = command;
  if ('data' in data) return Buffer.byteLength(data.data, 'utf8');
  if ('base64' in data) return base64Bytes(data.base64);
  return Math.min(data.bytes, sendRoom(sim, command.endpointId));
}

/** The bytes `text` (base64, padded) decodes to. */
function base64Bytes(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return Math.floor((text.length * 3) / 4) - padding;
}

function payloadOf(sim: Simulation, endpointId: string, data: Send): Uint8Array {
  if ('data' in data) return new TextEncoder().encode(data.data);
  if ('base64' in data) return Uint8Array.from(Buffer.from(data.base64, 'base64'));
  return generatedBytes(sim, endpointId, data.bytes);
}

/**
 * A clock move yields once a slice has run this long (checked every SLICE_CHECK_STEPS steps:
 * one step can send a whole window). Where it yields changes nothing in what the move does.
 */
export const SLICE_MS = 4;
const SLICE_CHECK_STEPS = 8;

type Applying = Generator<void, CommandResult, undefined>;

/**
 * Runs events up to `untilUs`, then sets the clock there; with `untilIdle`, stops early (the
 * clock at the last event) when nothing is left. After `maxEvents` trace events it stops where
 * it is. The same steps as Simulation.advance and runUntilIdle, in slices.
 */
export function* moveClock(
  sim: Simulation,
  untilUs: number,
  {
    untilIdle = false,
    maxEvents = Infinity,
  }: { untilIdle?: boolean; maxEvents?: number | undefined } = {},
): Generator<void, { idle: boolean; limited: boolean }, undefined> {
  const last = sim.lastEventId + maxEvents;
  let steps = 0;
  let sliceStarted = performance.now();
  for (let t = sim.nextEventTime(); t !== undefined && t <= untilUs; t = sim.nextEventTime()) {
    if (sim.lastEventId >= last) return { idle: false, limited: true };
    sim.step();
    if (++steps % SLICE_CHECK_STEPS === 0 && performance.now() - sliceStarted >= SLICE_MS) {
      yield;
      sliceStarted = performance.now();
    }
  }
  const idle = sim.nextEventTime() === undefined;
  if (!(untilIdle && idle) && untilUs > sim.nowUs) sim.advance((untilUs - sim.nowUs) / 1000);
  return { idle, limited: false };
}

/** Applies a command in one go (a rebuild). */
export function applyNow(sim: Simulation, command: SessionCommand, atUs: number): CommandResult {
  const applying = apply(sim, command, atUs);
  for (;;) {
    const next = applying.next();
    if (next.done === true) return next.value;
  }
}

/**
 * Applies a command, awaiting `pause()` between slices of a long clock move (the service
 * passes its scheduler of background work, runtime/turns.ts).
 */
export async function applySliced(
  sim: Simulation,
  command: SessionCommand,
  atUs: number,
  pause: () => Promise<void>,
): Promise<CommandResult> {
  const applying = apply(sim, command, atUs);
  for (;;) {
    const next = applying.next();
    if (next.done === true) return next.value;
    await pause();
  }
}

/**
 * Applies one command at virtual time `atUs` (the clock first runs there); throws the engine's
 * SimulationError, before any change, if the command is refused.
 */
function* apply(sim: Simulation, command: SessionCommand, atUs: number): Applying {
  if (atUs > sim.nowUs) yield* moveClock(sim, atUs);
  switch (command.kind) {
    case 'addEndpoint': {
      const { name, address, port, profile, options } = command.spec;
      const endpointId = sim.addEndpoint({
        address,
        port,
        ...(name === undefined ? {} : { name }),
        ...(profile === undefined ? {} : { profile }),
        ...(options === undefined ? {} : { options }),
      });
      return { kind: 'endpoint', endpointId };
    }
    case 'listen':
      sim.listen(command.endpointId);
      return { kind: 'done' };
    case 'connect':
      sim.connect(command.endpointId, command.remote);
      return { kind: 'done' };
    case 'send': {
      const payload = payloadOf(sim, command.endpointId, command.data);
      // The payload was made for this call: the engine may keep it without a copy.
      const accepted = sim.sendData(command.endpointId, payload, {
        transfer: true,
        more: command.data.more === true,
      });
      return { kind: 'sent', accepted };
    }
    case 'receive': {
      const { data, eof } = sim.receive(command.endpointId, command.max);
      return { kind: 'received', data, eof };
    }
    case 'shutdown':
      sim.shutdown(command.endpointId);
      return { kind: 'done' };
    case 'close':
      sim.close(command.endpointId);
      return { kind: 'done' };
    case 'abort':
      sim.abort(command.endpointId);
      return { kind: 'done' };
    case 'step':
      sim.step();
      return { kind: 'clock', idle: sim.nextEventTime() === undefined, limited: false };
    case 'advance': {
      const untilUs = sim.nowUs + Math.round(command.ms * 1000);
      const moved = yield* moveClock(sim, untilUs, { maxEvents: command.maxEvents });
      return { kind: 'clock', idle: sim.nextEventTime() === undefined, limited: moved.limited };
    }
    case 'run': {
      const untilUs = sim.nowUs + Math.round(command.maxMs * 1000);
      const moved = yield* moveClock(sim, untilUs, {
        untilIdle: true,
        maxEvents: command.maxEvents,
      });
      return { kind: 'clock', ...moved };
    }
    case 'setLink':
      sim.setLink(command.link);
      return { kind: 'done' };
    case 'addFault':
      return {
        kind: 'fault',
        faultId: sim.addFault(command.match, command.action, command.delayMs),
      };
    case 'removeFault':
      sim.removeFault(command.faultId);
      return { kind: 'done' };
    case 'tick':
      return { kind: 'clock', idle: sim.nextEventTime() === undefined, limited: false };
    case 'inject': {
      const s = command.segment;
      sim.inject(s.src, s.dst, {
        seq: seq(s.seq),
        ack: seq(s.ack),
        // The route checked the flags; the log holds only ones that parse.
        flags: parseFlags(s.flags) ?? 0,
        window: s.window,
        urgent: 0,
        options: s.options,
        payload: Uint8Array.from(Buffer.from(s.base64, 'base64')),
        ...(s.ecn === undefined ? {} : { ecn: s.ecn }),
      });
      return { kind: 'done' };
    }
  }
}
