/**
 * What one command's trace events become as the engine produces them, slice by slice. A few
 * are kept as they are: they go into the database with the command, and to live streams. Past
 * `keepUpTo` they are made into rows (trace-rows.ts) between the engine's slices, so that the
 * hundreds of thousands of a long clock move die young instead of being copied by every
 * garbage collection until they are written. Making rows costs more than making the events,
 * so it runs in slices of its own (`encode`).
 */
import type { TraceEvent } from '@tcplab/engine';
import { joinRows, rowsOf, type TraceRows } from './trace-rows.js';

/** Events made into rows between two looks at the time. */
const CHECK_EVENTS = 256;

export class TraceCollector {
  /** Events in all, and the last one's id (0: none yet). */
  count = 0;
  lastEventId = 0;
  /** Each endpoint's last state entered. */
  readonly states = new Map<string, string>();
  private kept: TraceEvent[] | undefined = [];
  /** Events past `keepUpTo` not made into rows yet. */
  private pending: TraceEvent[] = [];
  private readonly rows: TraceRows[] = [];

  constructor(
    private readonly sessionId: string,
    /** Events kept as objects at most (Infinity: every one). */
    private readonly keepUpTo: number,
  ) {}

  /** Takes the next events the engine produced. */
  take(events: readonly TraceEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) if (e.kind === 'state') this.states.set(e.endpointId, e.to);
    this.count += events.length;
    this.lastEventId = events[events.length - 1]?.eventId ?? this.lastEventId;
    if (this.kept !== undefined) {
      for (const e of events) this.kept.push(e);
      if (this.kept.length <= this.keepUpTo) return;
      events = this.kept;
      this.kept = undefined;
    }
    if (this.pending.length === 0) this.pending = events.slice();
    else for (const e of events) this.pending.push(e);
  }

  /** Whether some events wait to be made into rows (`encode`). */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Makes pending events into rows for about `ms` milliseconds (CHECK_EVENTS of them at least). */
  encode(ms: number): void {
    const started = performance.now();
    let done = 0;
    while (done < this.pending.length && (done === 0 || performance.now() - started < ms)) {
      const end = Math.min(this.pending.length, done + CHECK_EVENTS);
      this.rows.push(rowsOf(this.sessionId, this.pending.slice(done, end)));
      done = end;
    }
    this.pending = done === this.pending.length ? [] : this.pending.slice(done);
  }

  /** The events as the engine produced them; undefined when there were too many to keep. */
  get events(): readonly TraceEvent[] | undefined {
    return this.kept;
  }

  /** Every event as rows. */
  toRows(): TraceRows {
    if (this.kept !== undefined) return rowsOf(this.sessionId, this.kept);
    if (this.hasPending) this.encode(Infinity);
    return joinRows(this.rows);
  }
}
