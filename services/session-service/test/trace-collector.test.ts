// A command's trace events as the engine makes them: kept while few, else made into rows.
import { Simulation } from '@tcplab/engine';
import { describe, expect, it } from 'vitest';
import { TraceCollector } from '../src/runtime/trace-collector.js';
import { rowsOf } from '../src/runtime/trace-rows.js';

/** The trace of a handshake and a short transfer, in the engine's slices of 8 events. */
function engineTrace() {
  const sim = new Simulation({ seed: 3 });
  const server = sim.addEndpoint({ address: '10.0.0.2', port: 80 });
  const client = sim.addEndpoint({ address: '10.0.0.1', port: 49152 });
  sim.listen(server);
  sim.connect(client, { address: '10.0.0.2', port: 80 });
  sim.sendData(client, new TextEncoder().encode('x'.repeat(20_000)));
  sim.runUntilIdle(10_000);
  const events = sim.drainTrace();
  const slices = [];
  for (let i = 0; i < events.length; i += 8) slices.push(events.slice(i, i + 8));
  return { events, slices };
}

const text = (buffers: Buffer[]) => Buffer.concat(buffers).toString('utf8');

describe('TraceCollector', () => {
  it('keeps a few events as they are, with the states endpoints entered', () => {
    const { events, slices } = engineTrace();
    const collector = new TraceCollector('s1', Infinity);
    for (const slice of slices) collector.take(slice);
    expect(collector.events).toEqual(events);
    expect(collector.count).toBe(events.length);
    expect(collector.lastEventId).toBe(events.at(-1)?.eventId);
    expect(Object.fromEntries(collector.states)).toEqual({
      e1: 'LISTEN', // the listener
      e2: 'ESTABLISHED',
      e3: 'ESTABLISHED', // the connection it accepted
    });
  });

  it('past its bound, makes them into the same rows, in slices, and keeps none', () => {
    const { events, slices } = engineTrace();
    expect(events.length).toBeGreaterThan(40);
    const collector = new TraceCollector('s1', 20);
    for (const slice of slices) {
      collector.take(slice);
      collector.encode(0); // the smallest slice of encoding: 256 events
    }
    expect(collector.events).toBeUndefined();
    const rows = collector.toRows();
    const whole = rowsOf('s1', events);
    expect(rows).toMatchObject({
      count: events.length,
      firstEventId: 1,
      lastEventId: events.length,
    });
    expect(text(rows.segments)).toBe(text(whole.segments));
    expect(text(rows.others)).toBe(text(whole.others));
    // One line per event, starting with the session's id and the event's id.
    const lines = [...text(rows.segments).split('\n'), ...text(rows.others).split('\n')].filter(
      (line) => line !== '',
    );
    expect(lines.map((line) => Number(line.split('\t')[1])).sort((a, b) => a - b)).toEqual(
      events.map((e) => e.eventId),
    );
  });
});
