import { describe, expect, it } from 'vitest';
import { seq, seqAdd, seqDiff, seqGe, seqGt, seqInWindow, seqLe, seqLt } from './seq.js';

const MAX = 0xffff_ffff;

describe('seq', () => {
  it.each([
    [0, 0],
    [MAX, MAX],
    [MAX + 1, 0],
    [MAX + 101, 100],
    [-1, MAX],
    [-0x1_0000_0000, 0],
  ])('seq(%d) = %d', (input, expected) => {
    expect(seq(input)).toBe(expected);
  });

  it('refuses a fractional value', () => {
    expect(() => seq(1.5)).toThrow(RangeError);
  });
});

describe('seqAdd', () => {
  it.each([
    [MAX - 9, 20, 10],
    [5, -10, MAX - 4],
    [1000, 0, 1000],
  ])('%d + %d wraps to %d', (a, n, expected) => {
    expect(seqAdd(seq(a), n)).toBe(expected);
  });
});

describe('seqDiff', () => {
  it.each([
    [10, MAX - 9, 20],
    [MAX - 9, 10, -20],
    [0x8000_0000, 0, 0x8000_0000],
    [0x8000_0001, 0, -0x7fff_ffff],
  ])('distance to %d from %d is %d', (b, a, expected) => {
    expect(seqDiff(seq(b), seq(a))).toBe(expected);
  });
});

describe('comparisons across the wrap', () => {
  const beforeWrap = seq(MAX - 100);
  const afterWrap = seq(100);

  it('a number just before 2^32 is less than one just after 0', () => {
    expect(seqLt(beforeWrap, afterWrap)).toBe(true);
    expect(seqLe(beforeWrap, afterWrap)).toBe(true);
    expect(seqGt(afterWrap, beforeWrap)).toBe(true);
    expect(seqGe(afterWrap, beforeWrap)).toBe(true);
    expect(seqLt(afterWrap, beforeWrap)).toBe(false);
    expect(seqGt(beforeWrap, afterWrap)).toBe(false);
  });

  it('equal numbers are =< and >= but not < or >', () => {
    expect(seqLe(afterWrap, afterWrap)).toBe(true);
    expect(seqGe(afterWrap, afterWrap)).toBe(true);
    expect(seqLt(afterWrap, afterWrap)).toBe(false);
    expect(seqGt(afterWrap, afterWrap)).toBe(false);
  });
});

describe('seqInWindow (RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND)', () => {
  const rcvNxt = seq(MAX - 999);
  const rcvWnd = 2000;
  const end = seqAdd(rcvNxt, rcvWnd);

  it.each([
    ['the left edge', 0, true],
    ['just past the wrap', 1500, true],
    ['the last byte of the window', rcvWnd - 1, true],
    ['the right edge (excluded)', rcvWnd, false],
    ['one byte before the window', -1, false],
  ])('%s', (_label, offset, inside) => {
    expect(seqInWindow(seqAdd(rcvNxt, offset), rcvNxt, end)).toBe(inside);
  });

  it('an empty window contains nothing', () => {
    expect(seqInWindow(rcvNxt, rcvNxt, rcvNxt)).toBe(false);
  });
});
