/**
 * Requests with no key or a bad one, counted per client address: past the budget in a minute,
 * the address is refused (429) before its next key is even looked up, so that guessing keys
 * costs the guesser and not the database. Keys that were verified from that address lately go
 * on being looked up (and checked, so a revocation still counts at once): a classroom behind
 * one NAT is not locked out by one student's script with a wrong key. A verified key draws on
 * its own budget (plugins/protection.ts). Memory is bounded: at most `maxAddresses` are
 * remembered, the oldest window forgotten first, and a few keys per address.
 */
export interface FailureBudgetOptions {
  perMinute: number;
  maxAddresses?: number;
}

const WINDOW_MS = 60_000;
const DEFAULT_MAX_ADDRESSES = 10_000;
const KEYS_PER_ADDRESS = 16;

export class FailureBudget {
  readonly perMinute: number;
  private readonly maxAddresses: number;
  /** Address -> failures in the window that started at `since`; insertion order is age. */
  private readonly windows = new Map<string, { since: number; failures: number }>();
  /** Address -> prefixes of keys verified from it lately (at most KEYS_PER_ADDRESS). */
  private readonly verified = new Map<string, string[]>();

  constructor(options: FailureBudgetOptions) {
    this.perMinute = options.perMinute;
    this.maxAddresses = options.maxAddresses ?? DEFAULT_MAX_ADDRESSES;
  }

  /** Seconds until `address` may try a key of `prefix` again; 0 when it may now. */
  retryAfterS(address: string, prefix: string | undefined, now: number): number {
    if (prefix !== undefined && this.verified.get(address)?.includes(prefix) === true) return 0;
    const window = this.windows.get(address);
    if (window === undefined || now - window.since >= WINDOW_MS) return 0;
    if (window.failures < this.perMinute) return 0;
    return Math.ceil((window.since + WINDOW_MS - now) / 1000);
  }

  /** Remembers that a key of `prefix` was verified from `address`. */
  recordSuccess(address: string, prefix: string): void {
    const known = this.verified.get(address) ?? [];
    if (known.includes(prefix)) return;
    this.verified.delete(address);
    this.verified.set(address, [prefix, ...known].slice(0, KEYS_PER_ADDRESS));
    forgetOldest(this.verified, this.maxAddresses);
  }

  /** What a refused address is told (REST's 429, socket.io's RATE_LIMITED). */
  refusal(waitS: number): string {
    return (
      `more than ${this.perMinute} attempts without a valid key from this address in a ` +
      `minute; retry in ${waitS} s`
    );
  }

  /** Counts a check of a key of `prefix` (none: no key) from `address`, that passed or not. */
  settle(address: string, prefix: string | undefined, verified: boolean, now: number): void {
    if (!verified) this.record(address, now);
    else if (prefix !== undefined) this.recordSuccess(address, prefix);
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
    forgetOldest(this.windows, this.maxAddresses);
  }
}

/** Drops the oldest entries of `map` (its insertion order) past `size`. */
function forgetOldest(map: Map<string, unknown>, size: number): void {
  while (map.size > size) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) break;
    map.delete(oldest);
  }
}
