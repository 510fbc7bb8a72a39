/**
 * What one connection still has to send, fed to socket.io as fast as the client takes it.
 *
 * engine.io hands its buffer to the transport whenever the transport can write, then emits
 * `drain`; a client that reads slowly keeps the transport busy and the buffer growing. The
 * outbox keeps at most WINDOW messages in that buffer and the rest here, as references to
 * events shared by every client; once more than MAX_BACKLOG_EVENTS wait, the client is too
 * far behind and is cut off (it resumes with `after`).
 */
import type { TraceEvent } from '@tcplab/contract';

/** Events in one `events` message at most. */
export const EVENTS_PER_MESSAGE = 500;
/** Messages in engine.io's buffer at most. */
const WINDOW = 4;
/** Events waiting for one client at most before it is cut off. */
export const MAX_BACKLOG_EVENTS = 50_000;

export interface OutboxTarget {
  emit(sessionId: string, events: TraceEvent[]): void;
  /** The client is cut off; `lastEventId` per session: the last event it was sent. */
  cutOff(lastSent: Map<string, number>): void;
  /** Calls `listener` each time engine.io has handed its buffer to the transport. */
  onDrain(listener: () => void): void;
}

export class Outbox {
  private readonly waiting: { sessionId: string; events: TraceEvent[] }[] = [];
  private waitingEvents = 0;
  private inBuffer = 0;
  private closed = false;
  private pumping = false;
  /** The last event handed to socket.io, per session. */
  private readonly lastSent = new Map<string, number>();

  constructor(private readonly target: OutboxTarget) {
    target.onDrain(() => {
      this.inBuffer = 0;
      this.pump();
    });
  }

  /**
   * Queues events of a session (after those queued before); false once cut off. A batch of at
   * most EVENTS_PER_MESSAGE goes as it is (the array other clients may share), a longer one in
   * slices.
   */
  send(sessionId: string, events: readonly TraceEvent[]): boolean {
    if (this.closed) return false;
    if (events.length <= EVENTS_PER_MESSAGE) {
      this.waiting.push({ sessionId, events: events as TraceEvent[] });
    } else {
      for (let i = 0; i < events.length; i += EVENTS_PER_MESSAGE) {
        this.waiting.push({ sessionId, events: events.slice(i, i + EVENTS_PER_MESSAGE) });
      }
    }
    this.waitingEvents += events.length;
    this.pump();
    if (this.waitingEvents > MAX_BACKLOG_EVENTS) {
      this.closed = true;
      this.target.cutOff(this.lastSent);
      return false;
    }
    return true;
  }

  /** The last event of a session handed to socket.io (0: none). */
  lastSentOf(sessionId: string): number {
    return this.lastSent.get(sessionId) ?? 0;
  }

  /** A subscription starts after `after`: until more is sent, that is where it resumes. */
  begin(sessionId: string, after: number): void {
    this.lastSent.set(sessionId, after);
  }

  /** Drops what waits for a session (it was unsubscribed). */
  forget(sessionId: string): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const message = this.waiting[i];
      if (message?.sessionId === sessionId) {
        this.waitingEvents -= message.events.length;
        this.waiting.splice(i, 1);
      }
    }
    this.lastSent.delete(sessionId);
  }

  private pump(): void {
    // Emitting can make engine.io report a drain at once, which pumps: the loop below goes on
    // instead, so that messages leave in their order.
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (!this.closed && this.inBuffer < WINDOW) {
        const message = this.waiting.shift();
        if (message === undefined) return;
        this.waitingEvents -= message.events.length;
        this.inBuffer += 1;
        const last = message.events.at(-1)?.eventId;
        if (last !== undefined) this.lastSent.set(message.sessionId, last);
        this.target.emit(message.sessionId, message.events);
      }
    } finally {
      this.pumping = false;
    }
  }
}
