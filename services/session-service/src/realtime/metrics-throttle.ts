/**
 * Coalesced metrics for one subscription: at most one `metrics` event per endpoint per span of
 * virtual time (the first of each span), for clients that plot rather than audit. Only metrics
 * are ever left out; state, segment and every other kind always pass. Virtual time makes the
 * choice the same on every run and for every client with the same setting.
 */
import type { TraceEvent } from '@tcplab/contract';

export class MetricsThrottle {
  /** The virtual time, per endpoint, before which no further metrics event passes. */
  private readonly nextMs = new Map<string, number>();

  constructor(private readonly everyMs: number) {}

  /** The events this subscription gets, in order. */
  pass(events: readonly TraceEvent[]): readonly TraceEvent[] {
    if (!events.some((e) => e.kind === 'metrics')) return events;
    return events.filter((e) => {
      if (e.kind !== 'metrics') return true;
      const endpoint = e.endpointId ?? '';
      if (e.timeMs < (this.nextMs.get(endpoint) ?? -Infinity)) return false;
      this.nextMs.set(endpoint, e.timeMs + this.everyMs);
      return true;
    });
  }
}
