/**
 * How long to wait before connecting again: exponential, capped, with jitter, so that a
 * classroom of viewers cut off by a service restart does not come back in one burst.
 */
export class ReconnectDelay {
  private attempts = 0;

  constructor(
    private readonly firstMs = 100,
    private readonly maxMs = 5_000,
    /** A number in [0, 1); Math.random by default (a test passes a fixed one). */
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt: firstMs x 2^n up to maxMs, each between 50% and 150%. */
  next(): number {
    const base = Math.min(this.maxMs, this.firstMs * 2 ** this.attempts);
    this.attempts = Math.min(this.attempts + 1, 30);
    return Math.round(base * (0.5 + this.random()));
  }

  /** A connection worked: the next trouble starts from firstMs again. */
  reset(): void {
    this.attempts = 0;
  }
}
