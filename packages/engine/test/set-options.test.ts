// Simulation.setOptions, the facade over Connection.setOptions (live-options.test.ts tests what
// a connection does with a change): the change traced before what it makes happen, a refusal
// leaving the trace as it was, a listener's change reaching only the connections it accepts
// afterwards, endpoints that share an options object kept apart, and a snapshot taken after
// a change continuing exactly as the original.
import { describe, expect, it } from 'vitest';
import { Simulation, SimulationError } from '../src/sim/simulation.js';
import { OptionChangeError } from '../src/tcp/live-options.js';
import { formatSegment } from '../src/trace/format.js';
import type { TraceEvent } from '../src/trace/events.js';
import { pair, SERVER, text, type Pair } from './harness.js';

/** A client (e1, ISN 1000) connected to a server (e2, ISN 5000), 10 ms apart; now 30 ms. */
function connected(options: Parameters<typeof pair>[0] = {}): Pair {
  const p = pair(options);
  p.sim.listen(p.server);
  p.sim.connect(p.client, SERVER);
  p.run();
  return p;
}

/** What happened since the last drain, as `time kind ...` lines (segments and app events). */
function happened(sim: Simulation): string[] {
  return sim.drainTrace().flatMap((e: TraceEvent) => {
    const at = `${e.timeUs / 1000}`;
    if (e.kind === 'segment') return [`${at} ${e.endpointId ?? '-'} ${formatSegment(e)}`];
    if (e.kind === 'app') return [`${at} ${e.endpointId} ${e.event} ${e.detail ?? ''}`.trim()];
    return [];
  });
}

describe('Simulation.setOptions', () => {
  it('traces the change as an app event, before the segment Nagle held leaves', () => {
    const p = connected();
    p.sim.sendData(p.client, text('l')); // at 30 ms, alone in flight
    p.sim.advance(5);
    p.sim.sendData(p.client, text('s')); // held: 'l' is not acknowledged
    p.sim.advance(5);
    p.sim.drainTrace();
    p.sim.setOptions(p.client, { nagle: false });
    expect(happened(p.sim)).toEqual([
      '40 e1 options {"nagle":false}',
      '40 e1 P. 1002:1003(1) ack 5001 win 65535',
    ]);
  });

  it('refused, leaves the trace as it was: no event, and the next one takes the id it would have', () => {
    const p = connected();
    const last = p.sim.lastEventId;
    expect(() => p.sim.setOptions(p.client, { nagle: false, mss: 536 })).toThrow(OptionChangeError);
    expect(p.sim.drainTrace()).toEqual([]);
    expect(p.sim.lastEventId).toBe(last);
    expect(p.sim.connection(p.client).options.nagle).toBe(true);
    p.sim.setOptions(p.client, { nagle: false });
    expect(p.sim.drainTrace().map((e) => e.eventId)).toEqual([last + 1]);
  });

  it('a listener passes a change to the connections it accepts afterwards, not to those before', () => {
    const sim = new Simulation({ seed: 1, link: { delayMs: 10 } });
    const server = sim.addEndpoint({ address: '10.0.0.2', port: 80 });
    const first = sim.addEndpoint({ address: '10.0.0.1', port: 40001 });
    const second = sim.addEndpoint({ address: '10.0.0.1', port: 40002 });
    sim.listen(server);
    sim.connect(first, { address: '10.0.0.2', port: 80 });
    sim.runUntilIdle(1000);
    sim.setOptions(server, { nagle: false, mss: 1000 });
    sim.connect(second, { address: '10.0.0.2', port: 80 });
    sim.runUntilIdle(1000);
    const children = sim.endpointIds().filter((id) => sim.endpointInfo(id).parentId === server);
    expect(children.map((id) => [sim.status(id).options.nagle, sim.status(id).tcb.mss])).toEqual([
      [true, 1460],
      [false, 1000],
    ]);
    // The SYN-ACK of the second offers the MSS the listener has now.
    const synAcks = sim
      .drainTrace()
      .flatMap((e) => (e.kind === 'segment' && e.flags === 'S.' ? [e.options.mss] : []));
    expect(synAcks).toEqual([1460, 1000]);
  });

  it('changes one endpoint only, though endpoints made with the same options share them', () => {
    const p = pair({ client: { isn: 7 }, server: { isn: 7 } });
    expect(p.sim.connection(p.client).options).toBe(p.sim.connection(p.server).options);
    p.sim.setOptions(p.client, { sndBuffer: 1000 });
    expect(p.sim.status(p.client).options.sndBuffer).toBe(1000);
    expect(p.sim.status(p.server).options.sndBuffer).toBe(65536);
  });

  it('a snapshot taken after a change continues exactly as the original', () => {
    const p = connected();
    p.sim.setOptions(p.client, { nagle: false, sndBuffer: 3000 });
    p.sim.sendData(p.client, new Uint8Array(10_000));
    p.sim.advance(15);
    p.sim.drainTrace();
    const restored = Simulation.restore(p.sim.snapshot());
    for (const sim of [p.sim, restored]) {
      // 3000 bytes a time (the send buffer), the 80-byte tail of each at once (no Nagle). The
      // first write finds the buffer full: what was sent before the snapshot is acknowledged
      // only at 80 ms.
      for (let i = 0; i < 3; i++) {
        sim.sendData(p.client, new Uint8Array(10_000));
        sim.runUntilIdle(10_000);
      }
    }
    const original = happened(p.sim);
    expect(
      original.filter(
        (line) => line.includes('e1 P. ') && line.endsWith('(80) ack 5001 win 65535'),
      ),
    ).toHaveLength(2);
    expect(happened(restored)).toEqual(original);
    expect(restored.status(p.client).options).toEqual(p.sim.status(p.client).options);
  });

  it('an endpoint the simulation does not have is NO_SUCH_ENDPOINT', () => {
    const sim = new Simulation({ seed: 1 });
    expect(() => sim.setOptions('e9', { nagle: false })).toThrow(
      new SimulationError('NO_SUCH_ENDPOINT', 'no endpoint e9'),
    );
  });
});
