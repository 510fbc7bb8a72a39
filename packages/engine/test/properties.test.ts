// Properties over random data, random link impairments and random seeds (fast-check).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulation, type SimulationSnapshot } from '../src/sim/simulation.js';
import type { Connection } from '../src/tcp/connection.js';
import type { TraceEvent } from '../src/trace/events.js';
import { seqAdd, seqDiff, seqGe, seqLe, type SeqNum } from '../src/wire/seq.js';

// A fixed seed keeps the suite reproducible; FC_SEED=<n> replays another, FC_SEED=random explores.
const fcSeed = process.env.FC_SEED;
if (fcSeed !== 'random')
  fc.configureGlobal({ seed: fcSeed === undefined ? 20261121 : Number(fcSeed) });

const CLIENT = { address: '10.0.0.1', port: 40000 };
const SERVER = { address: '10.0.0.2', port: 80 };

interface Params {
  seed: number;
  data: Uint8Array;
  chunk: number;
  readEvery: number;
  link: {
    delayMs: number;
    jitterMs: number;
    lossRate: number;
    duplicateRate: number;
    reorderRate: number;
    corruptRate: number;
  };
  nagle: boolean;
  delayedAckMs: number;
  rcvBuffer: number;
  timestamps: boolean;
  sack: boolean;
  congestion: 'newreno' | 'reno' | 'tahoe' | 'cubic';
}

const params: fc.Arbitrary<Params> = fc.record({
  seed: fc.integer({ min: 0, max: 0xffff_ffff }),
  // Lengths spread over the whole range (fast-check's arrays favour tiny ones), bytes from a
  // small generator so that any reordering or duplication shows.
  data: fc
    .tuple(fc.integer({ min: 0, max: 30_000 }), fc.integer({ min: 1, max: 0xffff }))
    .map(([length, start]) => {
      let x = start;
      return Uint8Array.from({ length }, () => (x = (x * 1103515245 + 12345) >>> 0) >>> 24);
    }),
  chunk: fc.integer({ min: 1, max: 5000 }),
  readEvery: fc.integer({ min: 1, max: 20 }),
  link: fc.record({
    delayMs: fc.integer({ min: 0, max: 50 }),
    jitterMs: fc.integer({ min: 0, max: 20 }),
    lossRate: fc.double({ min: 0, max: 0.15, noNaN: true }),
    duplicateRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
    reorderRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
    corruptRate: fc.double({ min: 0, max: 0.05, noNaN: true }),
  }),
  nagle: fc.boolean(),
  delayedAckMs: fc.constantFrom(0, 40, 200),
  // Up to 256 KB: above 64 KB the window is scaled.
  rcvBuffer: fc.integer({ min: 2000, max: 1 << 18 }),
  timestamps: fc.boolean(),
  sack: fc.boolean(),
  congestion: fc.constantFrom(
    'newreno' as const,
    'reno' as const,
    'tahoe' as const,
    'cubic' as const,
  ),
});

/** The application on both sides: what it has written, read, and closed so far. */
interface Driver {
  sent: number;
  received: number[];
  clientClosed: boolean;
  serverClosed: boolean;
  ticks: number;
  /** Both sides are closed: the run is over. */
  done: boolean;
}

function setup(p: Params): Simulation {
  const sim = new Simulation({ seed: p.seed, link: p.link });
  const options = {
    nagle: p.nagle,
    delayedAckMs: p.delayedAckMs,
    rcvBuffer: p.rcvBuffer,
    timestamps: p.timestamps,
    sack: p.sack,
    congestion: p.congestion,
  };
  sim.addEndpoint({ ...CLIENT, options });
  sim.addEndpoint({ ...SERVER, options });
  sim.listen('e2');
  sim.connect('e1', SERVER);
  return sim;
}

/** One tick of the applications (every 10 ms of virtual time). */
function tick(sim: Simulation, p: Params, d: Driver): void {
  d.ticks += 1;
  const client = sim.endpointInfo('e1');
  if (d.sent < p.data.length && (client.state === 'ESTABLISHED' || client.state === 'SYN-SENT')) {
    d.sent += sim.sendData('e1', p.data.subarray(d.sent, d.sent + p.chunk));
  }
  if (d.sent === p.data.length && !d.clientClosed && client.state === 'ESTABLISHED') {
    sim.shutdown('e1');
    d.clientClosed = true;
  }
  const child = sim.endpointIds().find((id) => sim.endpointInfo(id).parentId === 'e2');
  if (child === undefined || d.ticks % p.readEvery !== 0) return;
  const { data, eof } = sim.receive(child);
  d.received.push(...data);
  if (eof && !d.serverClosed && sim.endpointInfo(child).state === 'CLOSE-WAIT') {
    sim.close(child);
    d.serverClosed = true;
  }
}

const rightEdges = new WeakMap<Connection, SeqNum>();

/** TCB invariants that must hold after every event. */
function checkInvariants(sim: Simulation): void {
  for (const id of sim.endpointIds()) {
    const c = sim.connection(id);
    if (c.state === 'CLOSED' || c.state === 'LISTEN') continue;
    expect(seqLe(c.sndUna, c.sndNxt), `${id} SND.UNA =< SND.NXT`).toBe(true);
    expect(seqDiff(c.sndNxt, c.sndUna), `${id} in flight`).toBeLessThanOrEqual(
      c.sndQueue.length + 2,
    );
    expect(c.sndWnd, `${id} SND.WND`).toBeGreaterThanOrEqual(0);
    expect(c.rcvWnd, `${id} RCV.WND`).toBeGreaterThanOrEqual(0);
    if (c.state !== 'SYN-SENT') {
      const edge = seqAdd(c.rcvNxt, c.rcvWnd);
      const previous = rightEdges.get(c);
      if (previous !== undefined) expect(seqGe(edge, previous), `${id} window shrank`).toBe(true);
      rightEdges.set(c, edge);
    }
  }
}

const LIMIT_US = 900_000_000; // 15 virtual minutes, far beyond any clean close here

/** Runs the applications and the network until both sides are closed, checking invariants. */
function run(sim: Simulation, p: Params, d: Driver, untilTicks = Infinity): void {
  while (!d.done && d.ticks < untilTicks && sim.nowUs < LIMIT_US) {
    const next = sim.nowUs + 10_000;
    for (let t = sim.nextEventTime(); t !== undefined && t <= next; t = sim.nextEventTime()) {
      sim.step();
      checkInvariants(sim);
    }
    sim.advance((next - sim.nowUs) / 1000);
    tick(sim, p, d);
    const states = sim.endpointIds().map((id) => sim.endpointInfo(id).state);
    if (
      d.serverClosed &&
      states.every((s) => s === 'CLOSED' || s === 'LISTEN' || s === 'TIME-WAIT')
    ) {
      d.done = true;
    }
  }
}

function freshDriver(): Driver {
  return { sent: 0, received: [], clientClosed: false, serverClosed: false, ticks: 0, done: false };
}

describe('properties', () => {
  it('when both sides close cleanly, the bytes read equal the bytes written, in order, once', () => {
    fc.assert(
      fc.property(params, (p) => {
        const sim = setup(p);
        const d = freshDriver();
        run(sim, p, d);
        expect(d.serverClosed).toBe(true);
        expect(Uint8Array.from(d.received)).toEqual(p.data);
      }),
      { numRuns: 60 },
    );
  }, 120_000);

  it('the same seed and commands give the same trace, byte for byte', () => {
    fc.assert(
      fc.property(params, (p) => {
        const traces = [0, 1].map(() => {
          const sim = setup(p);
          const trace: TraceEvent[] = [];
          const d = freshDriver();
          run(sim, p, d);
          trace.push(...sim.drainTrace());
          return JSON.stringify(trace);
        });
        expect(traces[1]).toBe(traces[0]);
      }),
      { numRuns: 20 },
    );
  }, 120_000);

  it('snapshot, restore and continue gives the trace of an uninterrupted run', () => {
    fc.assert(
      fc.property(params, fc.integer({ min: 0, max: 300 }), (p, at) => {
        const whole = setup(p);
        const d1 = freshDriver();
        run(whole, p, d1);
        const expected = JSON.stringify(whole.drainTrace());

        const first = setup(p);
        const d2 = freshDriver();
        run(first, p, d2, at);
        const snapshot = JSON.parse(JSON.stringify(first.snapshot())) as SimulationSnapshot;
        const driver = structuredClone(d2);
        const restored = Simulation.restore(snapshot);
        run(restored, p, driver);
        expect(JSON.stringify(restored.drainTrace())).toBe(expected);
        expect(driver.received).toEqual(d1.received);
      }),
      { numRuns: 20 },
    );
  }, 120_000);
});
