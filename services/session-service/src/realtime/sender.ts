/**
 * Sends `events` messages so that a batch many clients get is encoded once. The live events of
 * a session reach every caught-up client as the same array; socket.io's own broadcast encodes
 * a packet once and frames it once for every socket it goes to, where `socket.emit` would
 * encode it again per client (the cost that dominates a classroom of 300 watching one session).
 *
 * Messages wait here until the end of the current task and then go out grouped by batch. A
 * socket has at most one message waiting: a second one first sends everything waiting, so
 * every socket receives its messages in the order they were sent.
 */
import type { TraceEvent } from '@tcplab/contract';
import type { Server } from 'socket.io';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any event maps
type AnyServer = Server<any, any, any, any>;

export class EventSender {
  private waiting = new Map<TraceEvent[], { sessionId: string; socketIds: string[] }>();
  private readonly waitingSockets = new Set<string>();
  private scheduled = false;

  constructor(private readonly io: AnyServer) {}

  send(socketId: string, sessionId: string, events: TraceEvent[]): void {
    if (this.waitingSockets.has(socketId)) this.flush();
    let group = this.waiting.get(events);
    if (group === undefined) {
      group = { sessionId, socketIds: [] };
      this.waiting.set(events, group);
    }
    group.socketIds.push(socketId);
    this.waitingSockets.add(socketId);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Sends what waits now (before a message that must come after it: a cutoff, an ack). */
  flush(): void {
    this.scheduled = false;
    const groups = this.waiting;
    this.waiting = new Map();
    this.waitingSockets.clear();
    for (const [events, { sessionId, socketIds }] of groups) {
      // `local`: these sockets are this instance's; nothing to tell the other instances.
      this.io.local.to(socketIds).emit('events', { sessionId, events });
    }
  }
}
