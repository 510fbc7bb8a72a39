/**
 * Live trace events of the sessions this process runs, converted once to the contract's view
 * and handed to every stream of that session here.
 */
import type { TraceEvent as TraceEventView } from '@tcplab/contract';
import type { LiveSession } from '../runtime/live-session.js';
import type { SessionRuntime } from '../runtime/runtime.js';
import { liveEventView } from '@tcplab/session-core';
import { EVENTS_PER_MESSAGE } from './outbox.js';
import type { TraceSource, ViewListener } from './stream.js';

export class TraceHub {
  private readonly sessions = new Map<string, Set<ViewListener>>();
  readonly close: () => void;

  constructor(private readonly runtime: SessionRuntime) {
    this.close = runtime.onTrace(
      (sessionId, events) => {
        const listeners = this.sessions.get(sessionId);
        if (listeners === undefined) return;
        // In messages' sizes, so that every client is sent the same arrays (sender.ts).
        const views: TraceEventView[] = events.map(liveEventView);
        for (let i = 0; i < views.length; i += EVENTS_PER_MESSAGE) {
          const message =
            views.length <= EVENTS_PER_MESSAGE ? views : views.slice(i, i + EVENTS_PER_MESSAGE);
          for (const listener of listeners) listener(message);
        }
      },
      (sessionId) => this.sessions.has(sessionId),
    );
  }

  /** A session this process runs, as a stream's source. */
  source(session: LiveSession): TraceSource {
    return {
      listen: (listener) => this.listen(session.record.id, listener),
      readStored: (look) => this.runtime.readTrace(session, look),
    };
  }

  /** Hears the session's live events from now on; answers the function that stops it. */
  private listen(sessionId: string, listener: ViewListener): () => void {
    let listeners = this.sessions.get(sessionId);
    if (listeners === undefined) {
      listeners = new Set();
      this.sessions.set(sessionId, listeners);
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.sessions.get(sessionId) === listeners) {
        this.sessions.delete(sessionId);
      }
    };
  }
}
