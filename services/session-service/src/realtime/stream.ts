/**
 * One client's stream of one session: every trace event after `after`, first from the stored
 * trace, then live, with no gap and no repeat between the two.
 *
 * The listener for live events is in place before the replay starts, and the replay reads up to
 * a bound the source guarantees complete (every event heard before the listener was in place is
 * at or below it); so the stored pages and the live events buffered meanwhile overlap rather
 * than leave a gap, and the overlap is dropped by eventId.
 */
import type { TraceEvent as TraceEventView } from '@tcplab/contract';
import type { PrismaClient } from '../generated/prisma/client.js';
import { listEvents } from '../runtime/trace-reads.js';
import type { MetricsThrottle } from './metrics-throttle.js';

export type ViewListener = (events: readonly TraceEventView[]) => void;

/** Where a session's events come from: this process's runtime, or another instance's. */
export interface TraceSource {
  /**
   * Hears the session's live events from now on; `onEnd` if they stop coming (the instance
   * running the session went away). Answers the function that stops listening.
   */
  listen(listener: ViewListener, onEnd: (reason: string) => void): () => void;
  /** Runs `look` with the last eventId that the stored trace surely holds. */
  readStored<T>(look: (upTo: number) => Promise<T>): Promise<T>;
}

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
    private readonly source: TraceSource,
    private readonly prisma: PrismaClient,
    private readonly sessionId: string,
    after: number,
    /** Sends events; false: the client is gone, stop. */
    private readonly send: (events: readonly TraceEventView[]) => boolean,
    /** The live events stopped coming: the client must subscribe again. */
    onEnd: (reason: string) => void,
    /** Coalesces metrics, when the subscription asked for it. */
    private readonly metrics?: MetricsThrottle,
  ) {
    this.cursor = after;
    this.unwatch = source.listen(
      (events) => {
        if (this.pending === undefined) this.forward(events);
        else this.pending.push(events);
      },
      (reason) => {
        if (this.closed) return;
        this.close();
        onEnd(reason);
      },
    );
  }

  /** Sends the stored events after `after`, then those heard meanwhile, then goes live. */
  async replay(): Promise<void> {
    await this.source.readStored(async (upTo) => {
      for (;;) {
        if (this.closed) return;
        const page = await listEvents(this.prisma, this.sessionId, {
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

  /** The last event this stream has passed on (sent or coalesced away). */
  get lastEventId(): number {
    return this.cursor;
  }

  close(): void {
    this.closed = true;
    this.pending = undefined;
    this.unwatch();
  }

  private forward(events: readonly TraceEventView[]): void {
    if (this.closed) return;
    // Usually all of them: then the very array every client of the session shares.
    const fresh =
      (events[0]?.eventId ?? 0) > this.cursor
        ? events
        : events.filter((e) => e.eventId > this.cursor);
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
