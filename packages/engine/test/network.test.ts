// The simulated network: what each link setting does to the segments it carries.
import { describe, expect, it } from 'vitest';
import { Simulation, type SimulationConfig } from '../src/sim/simulation.js';
import type { TraceEvent } from '../src/trace/events.js';
import { Flag } from '../src/wire/flags.js';
import { seq } from '../src/wire/seq.js';

const PEER = { address: '10.0.0.9', port: 5555 };
const HOST = { address: '10.0.0.2', port: 80 };

type SegmentEvent = Extract<TraceEvent, { kind: 'segment' }>;

/** A host with a closed endpoint (it answers with RST), and a peer host that injects segments. */
function network(link: NonNullable<SimulationConfig['link']>, seed = 1) {
  const sim = new Simulation({ seed, link });
  sim.addEndpoint(HOST);
  sim.addEndpoint({ address: PEER.address, port: 1 }); // so that the peer's host exists
  const inject = (payloadBytes = 0, to = HOST) =>
    sim.inject(PEER, to, {
      seq: seq(1),
      ack: seq(0),
      flags: Flag.SYN,
      window: 1000,
      urgent: 0,
      options: {},
      payload: new Uint8Array(payloadBytes),
    });
  const segments = (): SegmentEvent[] =>
    sim.drainTrace().filter((e): e is SegmentEvent => e.kind === 'segment');
  return { sim, inject, segments };
}

describe('links', () => {
  it('a segment to an address with no host is dropped with reason no-host', () => {
    const n = network({});
    n.inject(0, { address: '10.0.0.77', port: 80 });
    expect(n.segments().map((e) => [e.fate, e.reason])).toEqual([['dropped', 'no-host']]);
  });

  it('propagation delay: the segment arrives delayMs later, and the answer as much after', () => {
    const n = network({ delayMs: 25 });
    n.inject();
    n.sim.runUntilIdle(1000);
    expect(n.segments().map((e) => [e.flags, e.timeUs / 1000, (e.arrivesUs ?? 0) / 1000])).toEqual([
      ['S', 0, 25],
      ['R.', 25, 50],
    ]);
  });

  it('rate and a drop-tail queue: serialisation spaces arrivals; beyond the queue, drops', () => {
    const n = network({ delayMs: 0, rateMbps: 1, queuePackets: 2 });
    for (let i = 0; i < 5; i++) n.inject(1460); // 1500 bytes on the wire = 12 ms at 1 Mbit/s
    const sent = n.segments();
    expect(sent.map((e) => e.fate)).toEqual([
      'delivered',
      'delivered',
      'delivered',
      'dropped',
      'dropped',
    ]);
    expect(sent.slice(3).map((e) => e.reason)).toEqual(['queue-full', 'queue-full']);
    expect(sent.slice(0, 3).map((e) => (e.arrivesUs ?? 0) / 1000)).toEqual([12, 24, 36]);
  });

  it('a segment larger than the MTU is dropped', () => {
    const n = network({ mtu: 576 });
    n.inject(1000);
    expect(n.segments().map((e) => [e.fate, e.reason])).toEqual([['dropped', 'mtu']]);
  });

  it('duplication delivers two copies (the host answers both)', () => {
    const n = network({ duplicateRate: 1 });
    n.inject();
    n.sim.runUntilIdle(1000);
    expect(n.segments().map((e) => `${e.flags} ${e.fate}`)).toEqual([
      'S duplicated',
      'R. duplicated',
      'R. duplicated',
    ]);
  });

  it('corruption: the receiver checksum fails and nothing answers', () => {
    const n = network({ corruptRate: 1 });
    n.inject();
    n.sim.runUntilIdle(1000);
    expect(n.segments().map((e) => [e.flags, e.fate, e.reason])).toEqual([
      ['S', 'corrupted', 'checksum'],
    ]);
  });

  it('reordering holds a segment back by one more propagation delay', () => {
    const n = network({ delayMs: 10, reorderRate: 1 });
    n.inject();
    expect(n.segments().map((e) => [e.fate, (e.arrivesUs ?? 0) / 1000])).toEqual([
      ['reordered', 20],
    ]);
  });

  it('random loss drops about the configured share, reproducibly per seed', () => {
    const fates = (seed: number) => {
      const n = network({ lossRate: 0.3 }, seed);
      for (let i = 0; i < 1000; i++) n.inject();
      return n.segments().map((e) => e.fate);
    };
    const lost = fates(4).filter((f) => f === 'dropped').length;
    expect(lost).toBeGreaterThan(250);
    expect(lost).toBeLessThan(350);
    expect(fates(4)).toEqual(fates(4));
    expect(fates(4)).not.toEqual(fates(5));
  });

  it('bursty loss (Gilbert-Elliott): once in the bad state, losses come in a run', () => {
    const n = network({ burstLoss: { p: 1, r: 0 } });
    for (let i = 0; i < 4; i++) n.inject();
    expect(n.segments().map((e) => e.reason ?? e.fate)).toEqual([
      'delivered',
      'burst-loss',
      'burst-loss',
      'burst-loss',
    ]);
  });

  it('jitter adds up to jitterMs to each delay, drawn from the seed', () => {
    const arrivals = (seed: number) => {
      const n = network({ delayMs: 10, jitterMs: 5 }, seed);
      for (let i = 0; i < 50; i++) n.inject();
      return n.segments().map((e) => (e.arrivesUs ?? 0) - e.timeUs);
    };
    const delays = arrivals(8);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(10_000);
    expect(Math.max(...delays)).toBeLessThanOrEqual(15_000);
    expect(new Set(delays).size).toBeGreaterThan(10);
    expect(arrivals(8)).toEqual(delays);
  });

  it('a link set between two hosts overrides the session link, per direction', () => {
    const n = network({ delayMs: 10 });
    n.sim.setPairLink(PEER.address, HOST.address, { delayMs: 100 }, true);
    n.inject();
    n.sim.runUntilIdle(1000);
    expect(n.segments().map((e) => ((e.arrivesUs ?? 0) - e.timeUs) / 1000)).toEqual([100, 10]);
    expect(n.sim.linkBetween(HOST.address, PEER.address).delayMs).toBe(10);
  });
});
