/**
 * One client's stream of one session: every trace event after `after`, first from the stored
 * trace, then live, with no gap and no repeat between the two.
 *
 * The listener for live events is in place before the replay starts, and the replay starts once
 * every event produced before that is stored; so the stored pages and the live events buffered
 * meanwhile overlap rather than leave a gap, and the overlap is dropped by eventId.
 */
import type { TraceEvent as TraceEventView } from '@tcplab/contract';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { LiveSession, SessionRuntime } from '../runtime/runtime.js';
import { listEvents } from '../runtime/trace-reads.js';
import type { TraceHub } from './hub.js';
import type { MetricsThrottle } from './metrics-throttle.js';

/** Stored events per replayed batch. */
const REPLAY_PAGE = 1000;

export class SessionStream {
  /** The last eventId sent. */
  private cursor: number;
  /** Live events heard during the replay; undefined once live events go straight out. */
  private pending: (readonly TraceEventView[])[] | undefined = [];
  private closed = false;
  private readonly unwatch: () => void;

  constructor(
    private readonly runtime: SessionRuntime,
    hub: TraceHub,
    private readonly prisma: PrismaClient,
    private readonly session: LiveSession,
    after: number,
    /** Sends events; false: the client is gone, stop. */
    private readonly send: (events: readonly TraceEventView[]) => boolean,
    /** Coalesces metrics, when the subscription asked for it. */
    private readonly metrics?: MetricsThrottle,
  ) {
    this.cursor = after;
    this.unwatch = hub.listen(session.record.id, (events) => {
      if (this.pending === undefined) this.forward(events);
      else this.pending.push(events);
    });
  }

  /** Sends the stored events after `after`, then those heard meanwhile, then goes live. */
  async replay(): Promise<void> {
    await this.runtime.readTrace(this.session, async (upTo) => {
      for (;;) {
        if (this.closed) return;
        const page = await listEvents(this.prisma, this.session.record.id, {
          after: this.cursor,
          upTo,
          limit: REPLAY_PAGE,
        });
        if (this.closed || page.length === 0) return;
        this.cursor = page.at(-1)?.eventId ?? this.cursor;
        if (!this.deliver(page)) {
          this.close();
          return;
        }
        if (page.length < REPLAY_PAGE) return;
      }
    });
    const heard = this.pending ?? [];
    this.pending = undefined;
    for (const events of heard) this.forward(events);
  }

  close(): void {
    this.closed = true;
    this.pending = undefined;
    this.unwatch();
  }

  private forward(events: readonly TraceEventView[]): void {
    if (this.closed) return;
    const fresh = events.filter((e) => e.eventId > this.cursor);
    if (fresh.length === 0) return;
    this.cursor = fresh.at(-1)?.eventId ?? this.cursor;
    if (!this.deliver(fresh)) this.close();
  }

  /** Sends what this subscription gets of `events`; false: the client is gone. */
  private deliver(events: readonly TraceEventView[]): boolean {
    const passed = this.metrics === undefined ? events : this.metrics.pass(events);
    return passed.length === 0 || this.send(passed);
  }
}
