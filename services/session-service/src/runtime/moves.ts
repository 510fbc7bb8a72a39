/**
 * Clock moves (advance, run, step) per tenant: at most the tenant's maxConcurrentMoves run at
 * once; the others wait their turn, in order (at most MAX_WAITING_MOVES of them, then 429). One
 * tenant's long moves so leave the event loop's slices to everyone else.
 */
import { ApiProblem, Problems } from '../errors.js';

/** Clock moves of one tenant that may wait for a place before more are refused (429). */
const MAX_WAITING_MOVES = 100;

interface TenantMoves {
  running: number;
  waiting: (() => void)[];
}

export class Moves {
  private readonly tenants = new Map<string, TenantMoves>();

  /** Clock moves of a tenant running now and waiting for a place. */
  of(tenantId: string): { running: number; waiting: number } {
    const moves = this.tenants.get(tenantId);
    return { running: moves?.running ?? 0, waiting: moves?.waiting.length ?? 0 };
  }

  /** Waits for a place among the tenant's `limit`; answers the function that frees it. */
  async start(tenantId: string, limit: number): Promise<() => void> {
    let moves = this.tenants.get(tenantId);
    if (moves === undefined) {
      moves = { running: 0, waiting: [] };
      this.tenants.set(tenantId, moves);
    }
    const mine = moves;
    if (mine.running >= limit) {
      if (mine.waiting.length >= MAX_WAITING_MOVES) {
        throw new ApiProblem(
          Problems.rateLimited,
          `the tenant has ${mine.running} clock moves running and ${mine.waiting.length} ` +
            'waiting (maxConcurrentMoves); retry when some have finished',
          { limit: 'maxConcurrentMoves', value: limit },
        );
      }
      await new Promise<void>((resolve) => mine.waiting.push(resolve));
    } else {
      mine.running += 1;
    }
    return () => {
      // The place goes to the next waiting move, if any; else it is freed.
      const next = mine.waiting.shift();
      if (next !== undefined) return next();
      mine.running -= 1;
      if (mine.running === 0 && this.tenants.get(tenantId) === mine) this.tenants.delete(tenantId);
    };
  }
}
