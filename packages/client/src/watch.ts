/**
 * watch(): one session's trace events, stored then live, as an async iterator over socket.io.
 *
 * The service sends batches; the iterator yields single events, in eventId order, each once.
 * It remembers the last event it took off the wire (`lastQueued`). Whatever happens to the
 * connection (the network drops, the service cuts off a client that fell behind, the service
 * restarts, or the iterator itself lets go because its consumer is slow), it connects again
 * and subscribes with `after: lastQueued`, and the service sends exactly the events after it.
 * Events already queued are still yielded, so the consumer sees no gap and no repeat.
 *
 * Reconnecting is done here rather than by socket.io: socket.io does not reconnect after a
 * server-side disconnect nor after a refused handshake, and every way back must subscribe
 * again anyway. Each connection is a fresh socket, so nothing of an old one can interfere.
 *
 * Memory is bounded: when more than `maxBufferedEvents` wait for the consumer (one batch more
 * at most: the service sends at most 500 events per message), the iterator disconnects, and
 * it connects again, from the last queued event, once the consumer has taken half of them.
 */
import type {
  ClientToServerEvents,
  EventBatch,
  ServerToClientEvents,
  SubscriptionAck,
} from '@tcplab/contract';
import { io, type Socket } from 'socket.io-client';
import type { AnyTraceEvent } from './api/trace.js';
import { realtimeRefusal } from './errors.js';
import { PullQueue } from './pull-queue.js';
import { ReconnectDelay } from './reconnect-delay.js';

/** Events that may wait in the SDK for a slow consumer before it lets the connection go. */
export const DEFAULT_MAX_BUFFERED_EVENTS = 10_000;
/** A subscribe unanswered this long means a stuck connection: a new one is tried. */
const SUBSCRIBE_TIMEOUT_MS = 10_000;
/** Closing waits this long at most for the service to confirm the unsubscribe. */
const UNSUBSCRIBE_TIMEOUT_MS = 1_000;
/** Refusals that may pass: the service is starting, busy, or failed once. Retried, not thrown. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'NOT_READY',
  'OVERLOADED',
  'RATE_LIMITED',
  'INTERNAL',
]);

export interface WatchOptions {
  /** The last eventId the caller already has: events after it come (default 0, all of them). */
  after?: number;
  /** Aborting it closes the connection; a pending or later `next()` rejects with its reason. */
  signal?: AbortSignal;
  /** An API key or a viewer token for this watch; the client's `watchToken` or key otherwise. */
  token?: string;
  /** Events that may wait for the consumer before the connection is let go (default 10,000). */
  maxBufferedEvents?: number;
  /**
   * Ask the service to coalesce metrics: at most one `metrics` event per endpoint per this many
   * ms of virtual time. The skipped metrics leave holes in the eventIds; other kinds never do.
   */
  metricsEveryMs?: number;
}

/** The iterator watch() answers. */
export interface TraceStream extends AsyncIterableIterator<AnyTraceEvent, undefined> {
  /** The eventId of the last event yielded (`after` before the first). */
  readonly lastEventId: number;
  /** Events received and not yet yielded. */
  readonly buffered: number;
  /** Unsubscribes and closes the connection (what `break` in a for await loop calls). */
  return(): Promise<IteratorResult<AnyTraceEvent, undefined>>;
}

/** Where the service's socket.io listens, and with what token. */
export interface RealtimeTarget {
  origin: string;
  /** socket.io's path: /socket.io, under the base URL's path prefix when it has one. */
  path: string;
  token: string | undefined;
}

export function realtimeTarget(baseUrl: string, token: string | undefined): RealtimeTarget {
  const url = new URL(baseUrl);
  return { origin: url.origin, path: `${url.pathname.replace(/\/+$/, '')}/socket.io`, token };
}

export function watch(
  target: RealtimeTarget,
  sessionId: string,
  options: WatchOptions = {},
): TraceStream {
  const after = options.after ?? 0;
  if (!Number.isSafeInteger(after) || after < 0) {
    throw new RangeError(`watch: after must be an eventId (an integer >= 0), not ${after}`);
  }
  const max = options.maxBufferedEvents ?? DEFAULT_MAX_BUFFERED_EVENTS;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new RangeError(`watch: maxBufferedEvents must be an integer >= 1, not ${max}`);
  }
  return new TraceWatch(
    { ...target, token: options.token ?? target.token },
    sessionId,
    after,
    max,
    options,
  );
}

type WatchSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

type Phase =
  | 'idle' // nothing happens until the first next()
  | 'connecting' // a socket connects, then subscribes
  | 'streaming' // subscribed: events flow
  | 'paused' // too many events wait: no socket until the consumer has taken half
  | 'waiting' // the connection was lost: a timer connects again
  | 'closed';

class TraceWatch implements TraceStream {
  private phase: Phase = 'idle';
  /** The current connection; handlers of any other socket are ignored. */
  private socket: WatchSocket | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private lastQueued: number;
  private lastYielded: number;
  private readonly queue: PullQueue<AnyTraceEvent>;
  private readonly delay = new ReconnectDelay();
  /** Below this many waiting events a paused watch connects again. */
  private readonly resumeAt: number;

  constructor(
    private readonly target: RealtimeTarget,
    private readonly sessionId: string,
    after: number,
    private readonly maxBuffered: number,
    private readonly options: WatchOptions,
  ) {
    this.lastQueued = after;
    this.lastYielded = after;
    this.resumeAt = Math.floor(maxBuffered / 2);
    this.queue = new PullQueue((size) => {
      if (this.phase === 'paused' && size <= this.resumeAt) this.connect();
    });
  }

  get lastEventId(): number {
    return this.lastYielded;
  }

  get buffered(): number {
    return this.queue.size;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<AnyTraceEvent, undefined>> {
    if (this.phase === 'idle') this.start();
    const result = await this.queue.take();
    if (result.done !== true) this.lastYielded = result.value.eventId;
    return result;
  }

  /** Called by `break` in a for await loop: unsubscribes and closes the connection. */
  async return(): Promise<IteratorResult<AnyTraceEvent, undefined>> {
    await this.stop();
    return { done: true, value: undefined };
  }

  private start(): void {
    const signal = this.options.signal;
    if (signal?.aborted === true) {
      this.phase = 'closed';
      this.queue.discard(abortError(signal));
      return;
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.connect();
  }

  private readonly onAbort = (): void => {
    if (this.options.signal !== undefined) void this.stop(abortError(this.options.signal));
  };

  private connect(): void {
    this.phase = 'connecting';
    const socket: WatchSocket = io(this.target.origin, {
      path: this.target.path,
      forceNew: true,
      reconnection: false,
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      ...(this.target.token === undefined ? {} : { auth: { token: this.target.token } }),
    });
    this.socket = socket;
    socket.on('connect', () => {
      if (socket === this.socket) this.subscribe(socket);
    });
    socket.on('events', (batch) => {
      if (socket === this.socket) this.receive(batch);
    });
    // A cut-off (`cutoff`, then a server-side disconnect) needs nothing of its own: it resumes
    // from lastQueued, which is the cut-off's lastEventId since nothing is lost on the way.
    socket.on('disconnect', () => {
      if (socket === this.socket) this.connectLater();
    });
    socket.on('connect_error', (error: Error & { data?: { code?: unknown } }) => {
      if (socket !== this.socket) return;
      const code = error.data?.code;
      if (typeof code === 'string' && !TRANSIENT_CODES.has(code)) {
        this.fail(realtimeRefusal(code, error.message, 'socket.io handshake'));
      } else {
        this.connectLater(); // the service is unreachable, starting or busy
      }
    });
  }

  private subscribe(socket: WatchSocket): void {
    const request = {
      sessionId: this.sessionId,
      after: this.lastQueued,
      ...(this.options.metricsEveryMs === undefined
        ? {}
        : { metricsEveryMs: this.options.metricsEveryMs }),
    };
    socket
      .timeout(SUBSCRIBE_TIMEOUT_MS)
      .emit('subscribe', request, (error: Error | null, answer: SubscriptionAck) => {
        if (socket !== this.socket) return; // that connection is gone already
        if (error !== null) {
          this.connectLater();
        } else if (!answer.ok) {
          if (TRANSIENT_CODES.has(answer.code)) this.connectLater();
          else
            this.fail(realtimeRefusal(answer.code, answer.message, `subscribe ${this.sessionId}`));
        } else {
          this.phase = 'streaming';
          this.delay.reset();
        }
      });
  }

  private receive(batch: EventBatch): void {
    // The service answers a subscribe before it sends events: none can come before 'streaming'.
    if (this.phase !== 'streaming' || batch.sessionId !== this.sessionId) return;
    const coalesced = this.options.metricsEveryMs !== undefined;
    for (const event of batch.events) {
      if (event.eventId <= this.lastQueued) continue; // had it already
      if (!coalesced && event.eventId !== this.lastQueued + 1) {
        // A hole the service should never leave: a fresh subscription from lastQueued mends it.
        this.connectLater();
        return;
      }
      this.lastQueued = event.eventId;
      this.queue.push(event);
    }
    if (this.queue.size > this.maxBuffered) {
      this.dropSocket();
      this.phase = 'paused';
    }
  }

  /** Lets the current connection go, and connects again after a backoff delay. */
  private connectLater(): void {
    this.dropSocket();
    this.phase = 'waiting';
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.phase !== 'waiting') return;
      if (this.queue.size > this.resumeAt) this.phase = 'paused';
      else this.connect();
    }, this.delay.next());
  }

  /** Refused for good: the events already queued are yielded, then `error` is thrown. */
  private fail(error: Error): void {
    this.close()?.disconnect();
    this.queue.end(error);
  }

  /** The consumer is done (return() or the signal): unsubscribe, disconnect, drop the queue. */
  private async stop(error?: Error): Promise<void> {
    if (this.phase === 'closed') return;
    const subscribed = this.phase === 'streaming';
    const socket = this.close();
    this.queue.discard(error);
    if (socket === undefined) return;
    if (subscribed) {
      await new Promise<void>((resolve) => {
        socket
          .timeout(UNSUBSCRIBE_TIMEOUT_MS)
          .emit('unsubscribe', { sessionId: this.sessionId }, () => resolve());
      });
    }
    socket.disconnect();
  }

  /** Ends every activity; answers the socket still open, for the caller to close. */
  private close(): WatchSocket | undefined {
    this.phase = 'closed';
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    const socket = this.socket;
    this.socket = undefined;
    return socket;
  }

  private dropSocket(): void {
    const socket = this.socket;
    this.socket = undefined; // first: its own disconnect event must not count as a loss
    socket?.disconnect();
  }
}

/** The signal's reason when it is an Error (an AbortError by default), else one carrying it. */
function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new Error('watch() was aborted', { cause: reason }), { name: 'AbortError' });
}
