/**
 * Requests with no key or a bad one, counted per client address: past the budget in a minute,
 * the address is refused (429) before its next key is even looked up, so that guessing keys
 * costs the guesser and not the database. A verified key draws on its own budget instead
 * (plugins/protection.ts). Memory is bounded: at most `maxAddresses` are remembered, the
 * oldest window forgotten first.
 */
export interface FailureBudgetOptions {
  perMinute: number;
  maxAddresses?: number;
}

const WINDOW_MS = 60_000;
const DEFAULT_MAX_ADDRESSES = 10_000;

export class FailureBudget {
  readonly perMinute: number;
  private readonly maxAddresses: number;
  /** Address -> failures in the window that started at `since`; insertion order is age. */
  private readonly windows = new Map<string, { since: number; failures: number }>();

  constructor(options: FailureBudgetOptions) {
    this.perMinute = options.perMinute;
    this.maxAddresses = options.maxAddresses ?? DEFAULT_MAX_ADDRESSES;
  }

  /** Seconds until `address` may try again; 0 when it may now. */
  retryAfterS(address: string, now: number): number {
    const window = this.windows.get(address);
    if (window === undefined || now - window.since >= WINDOW_MS) return 0;
    if (window.failures < this.perMinute) return 0;
    return Math.ceil((window.since + WINDOW_MS - now) / 1000);
  }

  /** Counts one failed request from `address`. */
  record(address: string, now: number): void {
    const window = this.windows.get(address);
    if (window !== undefined && now - window.since < WINDOW_MS) {
      window.failures += 1;
      return;
    }
    this.windows.delete(address);
    this.windows.set(address, { since: now, failures: 1 });
    while (this.windows.size > this.maxAddresses) {
      const oldest = this.windows.keys().next().value;
      if (oldest === undefined) break;
      this.windows.delete(oldest);
    }
  }
}
