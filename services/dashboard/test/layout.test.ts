// Where the ladder draws each segment: columns, slopes, crosses, the scrubbed time, and only
// what is in view.
import { describe, expect, it } from 'vitest';
import { arrowAt, columnXs, layoutLadder, SIDE_MARGIN } from '../src/ladder/layout';
import type { LadderSegment } from '../src/model/session-trace';
import { lessonTrace } from './lessons';

const view = { fromMs: 0, pxPerMs: 8, width: 800, height: 480 };

describe('the ladder layout', () => {
  it('puts the outer columns a margin in from the edges, a lone one in the middle', () => {
    expect([...columnXs(['server', 'client'], 800)]).toEqual([
      ['server', SIDE_MARGIN],
      ['client', 800 - SIDE_MARGIN],
    ]);
    expect([...columnXs(['a', 'b', 'c'], 800)].map(([, x]) => x)).toEqual([90, 400, 710]);
    expect([...columnXs(['alone'], 800)]).toEqual([['alone', 400]]);
  });

  it('draws each handshake segment from sender to receiver, sloping by the link delay', async () => {
    const trace = await lessonTrace('handshake');
    const arrows = layoutLadder(trace.segments, trace.columns, view);
    // 10 ms of delay at 8 px/ms: each arrow falls 80 px while it crosses.
    expect(arrows.map((a) => [a.x1, a.y1, a.x2, a.y2, a.lost])).toEqual([
      [710, 0, 90, 80, false],
      [90, 80, 710, 160, false],
      [710, 160, 90, 240, false],
    ]);
    expect(arrows.map((a) => [a.labelX, a.labelY])).toEqual([
      [400, 40],
      [400, 120],
      [400, 200],
    ]);
  });

  it('stops a lost segment part of the way, to end in its cross', async () => {
    const trace = await lessonTrace('lost-final-ack');
    const arrows = layoutLadder(trace.segments, trace.columns, { ...view, fromMs: 40 });
    const lost = arrows.find((a) => a.segment.lost);
    // The client (left, x 90) loses its ACK at 60 ms on its way to the server (right, x 710).
    expect(lost).toMatchObject({ x1: 90, y1: 160, lost: true });
    expect(lost?.x2).toBeCloseTo(90 + 620 * 0.55);
    expect(lost?.y2).toBeCloseTo(160 + 8 * 8);
  });

  it('at a scrubbed time, draws a segment in flight only as far as it has got', async () => {
    const trace = await lessonTrace('handshake');
    const arrows = layoutLadder(trace.segments, trace.columns, view, 15);
    // At 15 ms: the SYN has arrived, the SYN-ACK is halfway, the ACK not yet sent.
    expect(arrows.map((a) => [a.x1, a.y1, a.x2, a.y2])).toEqual([
      [710, 0, 90, 80],
      [90, 80, 400, 120],
    ]);
  });

  it('lays out only the segments in view, however long the session', () => {
    // A segment every millisecond for 100 s, each taking 5 ms.
    const segments: LadderSegment[] = Array.from({ length: 100_000 }, (_, i) => ({
      index: i,
      event: {} as LadderSegment['event'],
      sentMs: i,
      arrivesMs: i + 5,
      from: i % 2 === 0 ? 'a' : 'b',
      to: i % 2 === 0 ? 'b' : 'a',
      label: '.',
      fate: '',
      lost: false,
      relativeSeq: 0,
      relativeAck: 0,
    }));
    const arrows = layoutLadder(segments, ['a', 'b'], { ...view, fromMs: 50_000, pxPerMs: 4 });
    // 480 px at 4 px/ms is 120 ms: the 121 sent in it (both ends count) and the 5 sent before
    // it that are still arriving.
    expect(arrows).toHaveLength(126);
    expect(arrows[0]?.segment.sentMs).toBe(49_995);
    expect(arrows.at(-1)?.segment.sentMs).toBe(50_120);
  });

  it('finds the segment under a click, within a few pixels of its arrow', async () => {
    const trace = await lessonTrace('handshake');
    const arrows = layoutLadder(trace.segments, trace.columns, view);
    expect(arrowAt(arrows, 400, 121)?.segment.label).toBe('S. 0:0(0) ack 1 win 65535 <mss 1460>');
    expect(arrowAt(arrows, 400, 80)).toBeUndefined();
  });
});
