/**
 * Several instances on one Postgres (DESIGN.md, scale-out). socket.io's Postgres adapter joins
 * the instances' socket.io servers through LISTEN/NOTIFY, so rooms and disconnects reach every
 * instance (revoking a viewer token disconnects its viewers wherever they are). A session runs
 * on one instance; a client on another instance watches it through a RemoteFeed there:
 *
 * - the watching instance asks every instance `watch {sessionId, node}`; the one running the
 *   session answers how far its stored trace is complete, and from then on announces
 *   `stored {sessionId, storedThrough}` each time that grows, for as long as the watcher renews
 *   its interest (every RENEW_MS);
 * - per announcement, the watching instance reads the new events from Postgres once, for all
 *   of its clients of that session.
 *
 * The trace itself travels through the tables, not through NOTIFY: an announcement carries a
 * number, so a late, reordered or lost one cannot put a gap in a stream (the next read starts
 * where the last one ended).
 */
import { randomUUID } from 'node:crypto';
import type { TraceEvent as TraceEventView } from '@tcplab/contract';
import type { FastifyBaseLogger } from 'fastify';
import type { Server } from 'socket.io';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { SessionRuntime } from '../runtime/runtime.js';
import { listEvents } from '../runtime/trace-reads.js';
import { EVENTS_PER_MESSAGE } from './outbox.js';
import type { TraceSource, ViewListener } from './stream.js';

/** How often a watching instance renews its interest in a session (and checks on its owner). */
export const RENEW_MS = 10_000;
/** An interest not renewed for this many renewal periods has lapsed (the watcher went away). */
const INTEREST_RENEWALS = 3;
/** Events per read of a remote session's new events: one message, the same for every client. */
const READ_PAGE = EVENTS_PER_MESSAGE;

interface WatchRequest {
  sessionId: string;
  /** The watching instance. */
  node: string;
}

/** What instances tell each other (socket.io server-side events). */
export interface ClusterEvents {
  /** Answers the stored trace's bound if this instance runs the session, else null. */
  watch: (request: WatchRequest, answer: (storedThrough: number | null) => void) => void;
  unwatch: (request: WatchRequest) => void;
  stored: (announcement: { sessionId: string; storedThrough: number }) => void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any client or socket data
type ClusterServer = Server<any, any, ClusterEvents, any>;

export class Cluster {
  /** This instance, as watchers name themselves. */
  readonly node = randomUUID();
  /** Sessions run here that other instances watch: node -> when its interest lapses. */
  private readonly watchers = new Map<string, Map<string, number>>();
  /** Sessions run elsewhere that clients here watch. */
  private readonly feeds = new Map<string, RemoteFeed>();
  private readonly stopHearing: () => void;

  constructor(
    private readonly io: ClusterServer,
    private readonly runtime: SessionRuntime,
    private readonly prisma: PrismaClient,
    private readonly log: FastifyBaseLogger,
    private readonly renewMs = RENEW_MS,
  ) {
    io.on('watch', ({ sessionId, node }, answer) => {
      const session = runtime.running(sessionId);
      if (session === undefined) {
        answer(null);
        return;
      }
      let nodes = this.watchers.get(sessionId);
      if (nodes === undefined) {
        nodes = new Map();
        this.watchers.set(sessionId, nodes);
      }
      nodes.set(node, Date.now() + INTEREST_RENEWALS * this.renewMs);
      answer(session.trace.storedThrough);
    });
    io.on('unwatch', ({ sessionId, node }) => {
      const nodes = this.watchers.get(sessionId);
      nodes?.delete(node);
      if (nodes?.size === 0) this.watchers.delete(sessionId);
    });
    io.on('stored', ({ sessionId, storedThrough }) => {
      this.feeds.get(sessionId)?.advance(storedThrough);
    });
    this.stopHearing = runtime.onStored((sessionId, storedThrough) => {
      if (this.watched(sessionId)) io.serverSideEmit('stored', { sessionId, storedThrough });
    });
  }

  /**
   * How far the stored trace of a session another instance runs is complete; undefined when no
   * other instance runs it (then this one may). Registers this instance's interest.
   */
  locate(sessionId: string): Promise<number | undefined> {
    return new Promise((resolve) => {
      this.io.serverSideEmit(
        'watch',
        { sessionId, node: this.node },
        (_error: Error | null, answers: (number | null)[]) => {
          // A timeout still answers what the instances that did answer said.
          resolve(answers.find((answer): answer is number => typeof answer === 'number'));
        },
      );
    });
  }

  /**
   * A session another instance runs, as a stream's source (its bound from `locate`). The feed
   * is made, or joined, when the stream starts listening: a subscription refused before that
   * leaves nothing behind.
   */
  source(sessionId: string, storedThrough: number): TraceSource {
    let joined: RemoteFeed | undefined;
    return {
      listen: (listener, onEnd) => {
        joined = this.feed(sessionId, storedThrough);
        return joined.listen(listener, onEnd);
      },
      readStored: (look) => {
        if (joined === undefined) throw new Error('readStored before listen');
        return joined.readStored(look);
      },
    };
  }

  private feed(sessionId: string, storedThrough: number): RemoteFeed {
    const existing = this.feeds.get(sessionId);
    if (existing !== undefined) {
      existing.advance(storedThrough);
      return existing;
    }
    const created: RemoteFeed = new RemoteFeed(sessionId, storedThrough, this.prisma, this.log, {
      renewMs: this.renewMs,
      renew: () => this.locate(sessionId),
      closed: () => {
        if (this.feeds.get(sessionId) === created) this.feeds.delete(sessionId);
        this.io.serverSideEmit('unwatch', { sessionId, node: this.node });
      },
    });
    this.feeds.set(sessionId, created);
    return created;
  }

  close(): void {
    this.stopHearing();
    for (const feed of this.feeds.values()) feed.end('the service is shutting down');
  }

  /** Whether another instance still watches the session (forgetting lapsed interests). */
  private watched(sessionId: string): boolean {
    const nodes = this.watchers.get(sessionId);
    if (nodes === undefined) return false;
    const now = Date.now();
    for (const [node, lapses] of nodes) if (lapses <= now) nodes.delete(node);
    if (nodes.size === 0) this.watchers.delete(sessionId);
    return nodes.size > 0;
  }
}

/** One remote session's new events, read from Postgres once for every client here. */
class RemoteFeed implements TraceSource {
  /** The last event read and handed to the listeners. */
  private delivered: number;
  /** The last event the owner has said is stored. */
  private through: number;
  private reading: Promise<void> | undefined;
  private readonly listeners = new Map<ViewListener, (reason: string) => void>();
  private readonly renewal: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly sessionId: string,
    storedThrough: number,
    private readonly prisma: PrismaClient,
    private readonly log: FastifyBaseLogger,
    private readonly cluster: {
      renewMs: number;
      renew(): Promise<number | undefined>;
      closed(): void;
    },
  ) {
    this.delivered = storedThrough;
    this.through = storedThrough;
    this.renewal = setInterval(() => void this.renew(), cluster.renewMs);
    this.renewal.unref();
  }

  listen(listener: ViewListener, onEnd: (reason: string) => void): () => void {
    this.listeners.set(listener, onEnd);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.close();
    };
  }

  /**
   * Every event heard from now on is above `delivered`: a read in progress hands its page to
   * the listeners after it has moved `delivered`, and a listener in place hears that page.
   */
  readStored<T>(look: (upTo: number) => Promise<T>): Promise<T> {
    return look(this.delivered);
  }

  /**
   * The owner stored events up to `storedThrough`: read what is not read yet (once). Called
   * again with the same bound (a renewal), it retries a read that failed.
   */
  advance(storedThrough: number): void {
    this.through = Math.max(this.through, storedThrough);
    if (this.delivered >= this.through || this.reading !== undefined) return;
    this.reading = this.read().then((complete) => {
      this.reading = undefined;
      // An announcement heard as the read ended: read on (a failed read waits for the next).
      if (complete) this.advance(this.through);
    });
  }

  /** The events stop coming: every listener hears why, and the feed closes. */
  end(reason: string): void {
    const ends = [...this.listeners.values()];
    this.listeners.clear();
    this.close();
    for (const onEnd of ends) onEnd(reason);
  }

  /** Reads and hands on the events up to `through`; false when a read failed or came short. */
  private async read(): Promise<boolean> {
    try {
      while (this.delivered < this.through && this.listeners.size > 0) {
        const page: TraceEventView[] = await listEvents(this.prisma, this.sessionId, {
          after: this.delivered,
          upTo: this.through,
          limit: READ_PAGE,
        });
        const last = page.at(-1);
        if (last === undefined) return false;
        this.delivered = last.eventId;
        for (const listener of this.listeners.keys()) listener(page);
      }
      return true;
    } catch (error) {
      this.log.warn({ err: error, sessionId: this.sessionId }, 'could not read remote events');
      return false;
    }
  }

  private async renew(): Promise<void> {
    const storedThrough = await this.cluster.renew();
    if (storedThrough === undefined) {
      this.end('no instance runs this session now; subscribe again with after');
    } else {
      this.advance(storedThrough); // catches up on announcements that were lost
    }
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.renewal);
    this.cluster.closed();
  }
}
