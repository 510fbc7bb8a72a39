import { describe, expect, it } from 'vitest';
import { ReconnectDelay } from './reconnect-delay.js';

describe('ReconnectDelay', () => {
  it('doubles from the first delay up to the cap, and starts over after reset()', () => {
    const middle = new ReconnectDelay(100, 1000, () => 0.5); // no jitter
    expect([1, 2, 3, 4, 5, 6].map(() => middle.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
    middle.reset();
    expect(middle.next()).toBe(100);
  });

  it('spreads each delay between half and one and a half times its value', () => {
    expect(new ReconnectDelay(100, 1000, () => 0).next()).toBe(50);
    expect(new ReconnectDelay(100, 1000, () => 0.999).next()).toBe(150);
  });
});
