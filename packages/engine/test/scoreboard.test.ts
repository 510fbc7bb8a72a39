// The RFC 6675 scoreboard on its own: Update(), IsLost(), SetPipe() and NextSeg() in octets.
import { describe, expect, it } from 'vitest';
import { Scoreboard } from '../src/tcp/scoreboard.js';
import { seq, type SeqNum } from '../src/wire/seq.js';

const MSS = 100;
/** Near the wrap of sequence space, so every comparison must be modulo 2^32. */
const UNA = seq(0xffff_ff00);
const at = (segments: number): SeqNum => seq(UNA + segments * MSS);
const block = (from: number, to: number) => ({ left: at(from), right: at(to) });
const MAX = at(10);

function board(...blocks: [number, number][]): Scoreboard {
  const b = new Scoreboard();
  b.update(
    blocks.map(([from, to]) => block(from, to)),
    UNA,
    MAX,
  );
  return b;
}

describe('Update()', () => {
  it('merges overlapping and adjacent blocks and keeps them sorted', () => {
    const b = board([6, 7], [2, 3], [3, 4], [8, 9], [6.5, 8]);
    expect(b.sacked).toEqual([block(2, 4), block(6, 9)]);
  });

  it('clips blocks below SND.UNA, ignores blocks past SND.MAX, and forgets what is acked', () => {
    const b = board([-2, 1], [9, 11]);
    expect(b.sacked).toEqual([block(0, 1)]);
    b.update([block(4, 5)], at(2), MAX);
    expect(b.sacked).toEqual([block(4, 5)]);
  });
});

describe('IsLost()', () => {
  it('needs more than 2 SMSS SACKed above, or 3 separate ranges', () => {
    expect(board([1, 3]).lostBelow(MSS)).toBeUndefined(); // exactly 2 SMSS above: not yet
    expect(board([1, 3.5]).lostBelow(MSS)).toEqual(at(1));
    expect(board([1, 1.5], [2, 2.5], [3, 3.5]).lostBelow(MSS)).toEqual(at(1));
    expect(board([1, 2], [5, 7.5]).lostBelow(MSS)).toEqual(at(5));
    expect(board([1, 2], [5, 7.5]).firstSegmentLost(UNA, MSS)).toBe(true);
    expect(board([5, 7]).firstSegmentLost(UNA, MSS)).toBe(false);
  });
});

describe('SetPipe() and NextSeg()', () => {
  it('counts unSACKed octets not lost, plus those retransmitted', () => {
    // Holes 0 and 2 are lost (3 SMSS SACKed above them); 6-9 are in flight.
    const b = board([1, 2], [3, 6]);
    expect(b.pipe(UNA, MAX, MSS)).toBe(4 * MSS);
    expect(b.nextHole(UNA, MAX, MSS)).toEqual({ seq: at(0), len: MSS, lost: true });
    b.retransmitted(at(1));
    expect(b.pipe(UNA, MAX, MSS)).toBe(5 * MSS);
    expect(b.nextHole(UNA, MAX, MSS)).toEqual({ seq: at(2), len: MSS, lost: true });
    b.retransmitted(at(3));
    // Past the lost holes, rule (3) offers the first unSACKed octet that is not lost.
    expect(b.nextHole(UNA, MAX, MSS)).toEqual({ seq: at(6), len: MSS, lost: false });
  });

  it('ends a hole at the next SACKed range and offers nothing once all is SACKed', () => {
    const b = board([0.5, 10]);
    expect(b.nextHole(UNA, MAX, MSS)).toEqual({ seq: UNA, len: MSS / 2, lost: true });
    b.retransmitted(at(0.5));
    expect(b.nextHole(UNA, MAX, MSS)).toBeUndefined();
  });

  it('forgets everything after a timeout (RFC 2018 §8)', () => {
    const b = board([1, 5]);
    b.retransmitted(at(1));
    b.clear();
    expect(b.toState()).toEqual({ sacked: [], highRxt: undefined });
    expect(b.pipe(UNA, MAX, MSS)).toBe(10 * MSS);
  });
});
