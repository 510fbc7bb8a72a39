/**
 * The realtime contract (socket.io), as typed event maps in the manner of socket.io's own
 * typed events: what a client may emit and what the server sends back.
 *
 * A client connects with `auth: { token }` (an API key), emits `subscribe {sessionId, after?}`
 * and receives, in order, every trace event of that session after `after`: first those stored,
 * then live ones, with no gap and no repeat between the two. Events come in batches (one
 * `events` message carries those of one command, or a page of the stored trace), so that a
 * fast session does not cost one message per event; each event is a TraceEvent as the REST
 * event list shows it, with its session id. A client that reconnects subscribes again with the
 * last eventId it has seen as `after`. Consecutive eventIds have no gap, except where a
 * subscription asked for metrics to be coalesced (`metricsEveryMs`).
 */
import { Type, type Static } from 'typebox';
import { SessionId } from './sessions.js';
import type { TraceEvent } from './trace.js';

export const Subscribe = Type.Object(
  {
    sessionId: SessionId,
    after: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: 'The last eventId the client has (0: from the start)',
      }),
    ),
    metricsEveryMs: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 60_000,
        description:
          'Coalesce metrics: at most one `metrics` event per endpoint per this many ms of virtual ' +
          'time (the first of each span; the eventIds of the others are skipped on purpose). ' +
          'Unset: every metrics event. Other kinds are never coalesced.',
      }),
    ),
  },
  { $id: 'Subscribe', additionalProperties: false },
);
export type Subscribe = Static<typeof Subscribe>;

export const Unsubscribe = Type.Object(
  { sessionId: SessionId },
  { $id: 'Unsubscribe', additionalProperties: false },
);
export type Unsubscribe = Static<typeof Unsubscribe>;

/**
 * The answer to subscribe and unsubscribe: ok, or why not (a problem code and a message).
 * `lastEventId`: for subscribe, the session's last event when it was asked; for unsubscribe,
 * the last event this connection was sent. `metricsEveryMs` echoes a subscription's coalescing.
 */
export type SubscriptionAck =
  | { ok: true; sessionId: string; lastEventId: number; metricsEveryMs?: number }
  | { ok: false; code: string; message: string };

/** A batch of consecutive trace events of one session. */
export interface EventBatch {
  sessionId: string;
  events: TraceEvent[];
}

/** Why the server closes a connection that fell too far behind, and where to resume. */
export interface Cutoff {
  sessionId: string;
  /** The last event sent before the cut: subscribe again with it as `after`. */
  lastEventId: number;
  reason: string;
}

export interface ServerToClientEvents {
  /** Trace events, in eventId order, each batch right after the one before (500 at most). */
  events: (batch: EventBatch) => void;
  /** Sent before the server disconnects a client that fell too far behind. */
  cutoff: (cutoff: Cutoff) => void;
}

export interface ClientToServerEvents {
  subscribe: (request: Subscribe, ack: (answer: SubscriptionAck) => void) => void;
  unsubscribe: (request: Unsubscribe, ack: (answer: SubscriptionAck) => void) => void;
}
