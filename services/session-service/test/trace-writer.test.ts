// The trace writer between the engine and Postgres: order, batching, flush points, failure.
import type { TraceEvent } from '@tcplab/engine';
import { describe, expect, it } from 'vitest';
import { rowsOf, type TraceRows } from '../src/runtime/trace-rows.js';
import { TraceWriter } from '../src/runtime/trace-writer.js';

/** The rows of one command's events, ids `from` to `to`. */
function events(from: number, to: number) {
  const out: TraceEvent[] = [];
  for (let id = from; id <= to; id++) {
    out.push({
      eventId: id,
      timeUs: id,
      kind: 'app',
      endpointId: 'e1',
      event: 'eof',
    } as TraceEvent);
  }
  return rowsOf('s1', out);
}

/** A sink whose writes finish when the test says so. */
function controlledSink() {
  /** Each batch written: its first and last event ids. */
  const batches: number[][] = [];
  const pending: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  const sink = (batch: TraceRows) => {
    batches.push([batch.firstEventId, batch.lastEventId]);
    return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
  };
  const finishNext = async (error?: unknown) => {
    while (pending.length === 0) await new Promise((r) => setImmediate(r));
    const write = pending.shift();
    if (error === undefined) write?.resolve();
    else write?.reject(error);
    await new Promise((r) => setImmediate(r));
  };
  return { batches, sink, finishNext };
}

describe('TraceWriter', () => {
  it('writes events in order, gathering commands queued during a write into batches of batchEvents', async () => {
    const { batches, sink, finishNext } = controlledSink();
    const writer = new TraceWriter(sink, { batchEvents: 4 });
    writer.append(events(1, 2));
    writer.append(events(3, 5)); // queued while 1-2 are written
    writer.append(events(6, 7));
    writer.append(events(8, 11)); // a command's rows are never split
    writer.append(events(12, 12));
    await finishNext();
    await finishNext();
    await finishNext();
    await finishNext();
    await writer.settled();
    expect(batches).toEqual([
      [1, 2],
      [3, 7],
      [8, 11],
      [12, 12],
    ]);
  });

  it('answers flushed() once the events before it are written, not those after', async () => {
    const { sink, finishNext } = controlledSink();
    const writer = new TraceWriter(sink);
    await writer.flushed(); // nothing queued: at once
    writer.append(events(1, 3));
    let flushed = false;
    const first = writer.flushed().then(() => (flushed = true));
    writer.append(events(4, 6)); // the next batch; the reader above does not wait for it
    await new Promise((r) => setImmediate(r));
    expect(flushed).toBe(false);
    await finishNext();
    await first;
    expect(flushed).toBe(true);
    let later = false;
    const second = writer.flushed().then(() => (later = true));
    await new Promise((r) => setImmediate(r));
    expect(later).toBe(false);
    await finishNext();
    await second;
  });

  it('says how far the trace is stored: batches written, and events stored by other means', async () => {
    const { sink, finishNext } = controlledSink();
    const writer = new TraceWriter(sink, { inlineEvents: 100 });
    expect([writer.takesInline(100), writer.takesInline(101)]).toEqual([true, false]);
    writer.markStored(7); // written with their command, say
    expect(writer.storedThrough).toBe(7);
    writer.append(events(8, 12));
    expect(writer.storedThrough).toBe(7);
    expect(writer.takesInline(1)).toBe(false); // behind a queue, events wait their turn
    expect(() => writer.markStored(20)).toThrow(/past a queue/);
    await finishNext();
    await writer.flushed();
    expect(writer.storedThrough).toBe(12);
  });

  it('holds commands back (room) while the queue is at its high-water mark', async () => {
    const { sink, finishNext } = controlledSink();
    const writer = new TraceWriter(sink, { batchEvents: 2, highWaterEvents: 3 });
    writer.append(events(1, 2)); // taken at once into the first write
    writer.append(events(3, 4));
    writer.append(events(5, 6)); // 4 queued: over the mark
    let room = false;
    const waited = writer.room().then(() => (room = true));
    await new Promise((r) => setImmediate(r));
    expect(room).toBe(false);
    await finishNext(); // 3-4 taken: 2 left queued
    await waited;
    expect(room).toBe(true);
    await finishNext();
    await finishNext();
    await writer.settled();
  });

  it('on a failed batch: tells its owner once, rejects flushes, drops the queue and stops', async () => {
    const { batches, sink, finishNext } = controlledSink();
    const failures: unknown[] = [];
    const writer = new TraceWriter(sink, {
      batchEvents: 2,
      onFailure: (error) => failures.push(error),
    });
    writer.append(events(1, 2));
    writer.append(events(3, 4));
    const failure = new Error('connection lost');
    const flushed = expect(writer.flushed()).rejects.toBe(failure);
    await finishNext(failure);
    await flushed;
    await writer.settled();
    expect(failures).toEqual([failure]);
    expect(batches).toEqual([[1, 2]]); // 3-4 were dropped: a rebuild writes them
    writer.append(events(5, 5));
    await expect(writer.flushed()).rejects.toBe(failure);
    expect(batches).toHaveLength(1);
    await writer.room(); // never holds a command back once failed
  });
});
