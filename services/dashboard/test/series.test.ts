// What the plots draw: the series cut at the scrubbed time, and thinned without losing a peak.
import { describe, expect, it } from 'vitest';
import { congestionData, heldTo, queueData, rttData, thin } from '../src/plots/series';
import { lessonTrace } from './lessons';

describe('the plot series', () => {
  it('draws no ssthresh while it is unbounded, then the value a loss set', async () => {
    const trace = await lessonTrace('bufferbloat');
    const data = congestionData(trace, 'e1');
    const [cwnd, ssthresh] = data.ys;
    const firstLoss = ssthresh?.findIndex((v) => v !== null);
    expect(firstLoss).toBeGreaterThan(0);
    expect(ssthresh?.slice(0, firstLoss ?? 0).every((v) => v === null)).toBe(true);
    // Slow start overshoots the path and its queue; the loss halves the flight it had.
    expect(Math.max(...(cwnd as number[]))).toBeGreaterThan(400_000);
  });

  it('cuts every series at the scrubbed time', async () => {
    const trace = await lessonTrace('bufferbloat');
    const whole = rttData(trace, 'e1');
    const early = rttData(trace, 'e1', 300);
    expect(early.xs.length).toBeLessThan(whole.xs.length);
    expect(Math.max(...early.xs)).toBeLessThanOrEqual(300);
    expect(early.ys[0]).toEqual(whole.ys[0]?.slice(0, early.xs.length));
    // The queue of the rate-limited direction: 200 packets waiting and one on the wire.
    const queue = queueData(trace, '10.0.0.1 > 10.0.0.2');
    expect(Math.max(...(queue.ys[0] as number[]))).toBe(201);
  });

  it('holds a TCB variable at its last value until the scrubbed time, or the end', async () => {
    const trace = await lessonTrace('lost-final-ack');
    // The client's (e1) cwnd is last set early on; the lesson runs on past a second.
    const data = congestionData(trace, 'e1');
    const last = data.xs.at(-1) as number;
    expect(last).toBeLessThan(trace.endMs);
    const held = heldTo(data, trace.endMs);
    expect(held.xs.slice(-2)).toEqual([last, trace.endMs]);
    expect(held.ys.map((ys) => ys.at(-1))).toEqual(data.ys.map((ys) => ys.at(-1)));
    // Nothing to add when a sample is at (or after) that time.
    expect(heldTo(data, last)).toBe(data);
    expect(heldTo({ xs: [], ys: [[]] }, 100)).toEqual({ xs: [], ys: [[]] });
  });

  it('thins to a few points a bucket, keeping each series\u2019 first, last, lowest and highest', () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => i);
    const saw = xs.map((x) => (x === 7_777 ? -50 : x === 3_333 ? 5_000 : x % 100));
    const sparse = xs.map((x) => (x % 1_000 === 500 ? x : null));
    const thinned = thin({ xs, ys: [saw, sparse] }, 100);
    expect(thinned.xs.length).toBeLessThanOrEqual(100 * 6);
    expect(Math.min(...(thinned.ys[0] as number[]))).toBe(-50);
    expect(Math.max(...(thinned.ys[0] as number[]))).toBe(5_000);
    expect([thinned.xs[0], thinned.xs.at(-1)]).toEqual([0, 9_999]);
    // Every point of the sparse series survives: each is alone in its bucket.
    expect(thinned.ys[1]?.filter((v) => v !== null)).toEqual(sparse.filter((v) => v !== null));
    // Short series are left as they are.
    const short = { xs: [1, 2, 3], ys: [[4, 5, 6]] };
    expect(thin(short, 100)).toBe(short);
  });
});
