// Long work takes turns with everything else: one slice per turn of the event loop.
import { describe, expect, it } from 'vitest';
import { Turns } from '../src/runtime/turns.js';

describe('Turns', () => {
  it('runs one slice per turn of the event loop, the waiting tasks in the order they asked', async () => {
    const turns = new Turns();
    const log: string[] = [];
    const task = async (name: string) => {
      for (let slice = 1; slice <= 3; slice++) {
        log.push(`${name}${slice}`);
        await turns.next();
      }
    };
    // Something that needs the event loop meanwhile (a request's socket read, say): one step
    // per turn.
    let io = 0;
    const request = () => {
      log.push(`io${++io}`);
      if (io < 8) setImmediate(request);
    };
    setImmediate(request);
    await Promise.all([task('a'), task('b'), task('c')]);
    // The first slices ran when the tasks started; then a slice a turn, in turn, with the
    // request going on between any two of them.
    expect(log.slice(0, 3)).toEqual(['a1', 'b1', 'c1']);
    const slices = log.slice(3).filter((entry) => !entry.startsWith('io'));
    expect(slices).toEqual(['a2', 'b2', 'c2', 'a3', 'b3', 'c3']);
    for (let i = 3; i < log.length - 1; i++) {
      const both = [log[i], log[i + 1]].every((entry) => !entry?.startsWith('io'));
      expect(both, `${log[i]} and ${log[i + 1]} ran in one turn: ${log.join(' ')}`).toBe(false);
    }
  });
});
