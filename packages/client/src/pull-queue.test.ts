import { describe, expect, it } from 'vitest';
import { PullQueue } from './pull-queue.js';

describe('PullQueue', () => {
  it('gives items in order, to a waiting consumer as soon as they come', async () => {
    const queue = new PullQueue<number>();
    const waiting = queue.take();
    queue.push(1);
    queue.push(2);
    expect(await waiting).toEqual({ done: false, value: 1 });
    expect(queue.size).toBe(1);
    expect(await queue.take()).toEqual({ done: false, value: 2 });
  });

  it('tells the producer the size left after each take', async () => {
    const sizes: number[] = [];
    const queue = new PullQueue<number>((size) => sizes.push(size));
    for (let i = 0; i < 3; i++) queue.push(i);
    for (let i = 0; i < 3; i++) await queue.take();
    expect(sizes).toEqual([2, 1, 0]);
  });

  it('after end(error): the queued items first, then the error once, then done', async () => {
    const queue = new PullQueue<string>();
    queue.push('a');
    queue.end(new Error('refused'));
    queue.push('ignored');
    expect(await queue.take()).toEqual({ done: false, value: 'a' });
    await expect(queue.take()).rejects.toThrow('refused');
    expect(await queue.take()).toEqual({ done: true, value: undefined });
  });

  it('discard() drops what is queued and settles a waiting consumer', async () => {
    const queue = new PullQueue<string>();
    const waiting = queue.take();
    queue.discard();
    expect(await waiting).toEqual({ done: true, value: undefined });
    const other = new PullQueue<string>();
    other.push('a');
    other.discard(new Error('aborted'));
    expect(other.size).toBe(0);
    await expect(other.take()).rejects.toThrow('aborted');
  });

  it('stays in order across the compaction of a long queue', async () => {
    const queue = new PullQueue<number>();
    const taken: number[] = [];
    for (let i = 0; i < 5000; i++) queue.push(i);
    for (let i = 0; i < 3000; i++) taken.push((await queue.take()).value ?? -1);
    for (let i = 5000; i < 6000; i++) queue.push(i);
    while (queue.size > 0) taken.push((await queue.take()).value ?? -1);
    expect(taken).toEqual([...Array(6000).keys()]);
  });
});
