/**
 * Live trace events of the sessions this process runs, converted once to the contract's view
 * and handed to every stream of that session here.
 */
import type { TraceEvent as TraceEventView } from '@tcplab/contract';
import type { SessionRuntime } from '../runtime/runtime.js';
import { liveEventView } from '../runtime/views.js';

export type ViewListener = (events: readonly TraceEventView[]) => void;

export class TraceHub {
  private readonly sessions = new Map<
    string,
    { listeners: Set<ViewListener>; unwatch: () => void }
  >();

  constructor(private readonly runtime: SessionRuntime) {}

  /** Hears the session's live events from now on; answers the function that stops it. */
  listen(sessionId: string, listener: ViewListener): () => void {
    let entry = this.sessions.get(sessionId);
    if (entry === undefined) {
      const listeners = new Set<ViewListener>();
      const unwatch = this.runtime.watch(sessionId, (events) => {
        const views = events.map(liveEventView);
        for (const l of listeners) l(views);
      });
      entry = { listeners, unwatch };
      this.sessions.set(sessionId, entry);
    }
    const { listeners } = entry;
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.sessions.get(sessionId)?.listeners === listeners) {
        this.sessions.get(sessionId)?.unwatch();
        this.sessions.delete(sessionId);
      }
    };
  }
}
