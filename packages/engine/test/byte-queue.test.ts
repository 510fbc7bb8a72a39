// The send and receive queues against a plain array model: any mix of appends, reads and
// consumes reads back exactly the bytes a flat buffer would hold.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../src/tcp/byte-queue.js';

type Op =
  | { op: 'append'; bytes: Uint8Array; copy: boolean }
  | { op: 'read'; offset: number; len: number }
  | { op: 'consume'; n: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('append' as const),
    bytes: fc.uint8Array({ minLength: 0, maxLength: 40 }),
    copy: fc.boolean(),
  }),
  fc.record({
    op: fc.constant('read' as const),
    offset: fc.nat(120),
    len: fc.nat(120),
  }),
  fc.record({ op: fc.constant('consume' as const), n: fc.nat(60) }),
);

describe('ByteQueue', () => {
  it('reads what a flat buffer holds, across chunk boundaries and after consumes', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const queue = new ByteQueue();
        let model: number[] = [];
        for (const o of ops) {
          if (o.op === 'append') {
            queue.append(o.bytes, o.copy);
            model = model.concat([...o.bytes]);
          } else if (o.op === 'consume') {
            queue.consume(o.n);
            model = model.slice(o.n);
          } else {
            expect([...queue.read(o.offset, o.len)]).toEqual(
              model.slice(o.offset, o.offset + o.len),
            );
          }
          expect(queue.length).toBe(model.length);
        }
        expect([...queue.toBytes()]).toEqual(model);
      }),
      { seed: 20261121, numRuns: 300 },
    );
  });

  it('gives a view, not a copy, for a range inside one chunk', () => {
    const queue = new ByteQueue();
    const chunk = Uint8Array.from([1, 2, 3, 4]);
    queue.append(chunk, false);
    queue.append(Uint8Array.from([5, 6]));
    expect(queue.read(1, 2).buffer).toBe(chunk.buffer);
    expect([...queue.read(3, 2)]).toEqual([4, 5]);
  });
});

describe('ByteQueue with thousands of chunks (a send queue fed by small writes)', () => {
  it('keeps reading the right bytes while consumed chunks are dropped in batches', () => {
    const queue = new ByteQueue();
    const model: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const bytes = Uint8Array.from({ length: 10 }, (_, j) => (i * 10 + j) % 251);
      queue.append(bytes);
      model.push(...bytes);
    }
    let consumed = 0;
    while (queue.length > 0) {
      queue.consume(7);
      consumed = Math.min(model.length, consumed + 7);
      expect(queue.length).toBe(model.length - consumed);
      expect([...queue.read(3, 25)]).toEqual(model.slice(consumed + 3, consumed + 28));
    }
  });
});

describe('ByteQueue reads across chunks', () => {
  it('returns one view, without copying, over chunks that lie end to end in one buffer', () => {
    const written = Uint8Array.from({ length: 30 }, (_, i) => i);
    const queue = new ByteQueue();
    // As the receiver queues segments: views of consecutive parts of the sender's buffer.
    queue.append(written.subarray(0, 10), false);
    queue.append(written.subarray(10, 20), false);
    queue.append(written.subarray(20, 30), false);
    const read = queue.read(5, 20);
    expect(read.buffer).toBe(written.buffer);
    expect([...read]).toEqual([...written.subarray(5, 25)]);
    // A chunk from elsewhere breaks the run: the bytes are copied instead.
    queue.append(Uint8Array.from([99]), false);
    const copied = queue.read(25, 6);
    expect(copied.buffer).not.toBe(written.buffer);
    expect([...copied]).toEqual([25, 26, 27, 28, 29, 99]);
  });
});
