/**
 * The live sessions of this process. Each session's simulation lives here and nowhere else;
 * every command runs against it one at a time, and is in Postgres's command log before its
 * caller hears of it; the trace events it produced follow in batches (TraceWriter). A session
 * not in memory (after a restart, or after a write that failed) is rebuilt on first use by
 * replaying its command log: the engine is deterministic, so the replay ends exactly where the
 * session was, and it writes again any trace events the database had not got.
 *
 * A session no request used for a while leaves memory (snapshotted first) and comes back the
 * same way on its next use. Scale-out (DESIGN.md) adds a lease per session around `load`: the
 * owner replays, the others route commands to it.
 */
import type { ClusterPlace, CreateSession, Limits, Session as SessionView } from '@tcplab/contract';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzipSync, gzip } from 'node:zlib';
import {
  ENGINE_BEHAVIOUR,
  Simulation,
  type LinkSettings,
  type SimulationSnapshot,
  type TraceEvent,
} from '@tcplab/engine';
import type { FastifyBaseLogger } from 'fastify';
import { ApiProblem, Problems } from '../errors.js';
import { DEFAULT_LEASE_MS, DEFAULT_MAX_LIVE_SESSIONS, DEFAULT_SESSION_IDLE_S } from '../config.js';
import { DEFAULT_LIMITS, effectiveLimits, storedOverrides } from '../limits.js';
import { LeaseLost, Leases } from '../cluster/leases.js';
import type { PoolClient } from 'pg';
import type { Database } from '../store/database.js';
import { ensureTenant } from '../store/tenants.js';
import { payloadBytes, type CommandResult, type SessionCommand } from '@tcplab/session-core';
import { isUnstored, lastStoredEventIds, storedPrefix, writeTrace } from './trace-store.js';
import { rowsOf } from './trace-rows.js';
import { TraceWriter } from './trace-writer.js';
import { LiveSession, TICK_MS } from './live-session.js';
import { Moves } from './moves.js';
import { Turns } from './turns.js';
import {
  deleteSession,
  insertSession,
  latestSnapshot,
  adoptSession,
  listSessions,
  listUnheldPlayingSessionIds,
  storedView,
  loadCommands,
  renameSession,
  toRecord,
  updateClock,
  writeCommand,
  writeSnapshot,
  type SessionRecord,
} from './store.js';

const gzipAsync = promisify(gzip);

/** Hears the trace events of one command of a session (consecutive, in order). */
export type TraceListener = (sessionId: string, events: readonly TraceEvent[]) => void;

/** Hears that every trace event of a session up to `storedThrough` is in the database. */
export type StoredListener = (sessionId: string, storedThrough: number) => void;

export interface RuntimeOptions {
  /** Draws a seed for a session created without one (tests pass a fixed one). */
  randomSeed?: () => number;
  /**
   * A session no request used for this long leaves memory (snapshotted first); the next
   * request brings it back (default 10 minutes, TCPLAB_SESSION_IDLE_S).
   */
  idleMs?: number;
  /**
   * Sessions in memory at most: past it the least recently used leave (default 1,000,
   * TCPLAB_MAX_LIVE_SESSIONS).
   */
  maxLiveSessions?: number;
  /** How often idle sessions are looked for (default a quarter of idleMs, at most a minute). */
  sweepMs?: number;
  /** A session used this recently stays past maxLiveSessions (default 30 s; tests shorten it). */
  pinMs?: number;
  /** A snapshot of the engine is kept after this many trace events (default 200,000). */
  snapshotEveryEvents?: number;
  /** Every tenant's limits where it sets none of its own (default DEFAULT_LIMITS). */
  limits?: Limits;
  /**
   * The engine behaviour version this instance claims (default ENGINE_BEHAVIOUR); tests set
   * another to play an upgrade.
   */
  engineBehaviour?: number;
  /**
   * Whether closing snapshots every session with commands since its last snapshot (default
   * true): the next holder, of this version or a later one, then replays nothing.
   */
  snapshotOnClose?: boolean;
  /**
   * How long a session's lease lasts unless renewed (default 5 s, TCPLAB_LEASE_MS): the longest
   * the sessions of an instance that died wait for another to take them.
   */
  leaseMs?: number;
  /**
   * Where other instances reach this one (TCPLAB_ADVERTISE_URL); without it, the address the
   * server listens on once it does (`advertise`).
   */
  advertiseUrl?: string;
}

/** Another instance runs the session: the request goes there (cluster/forwarding.ts). */
export class SessionElsewhere extends Error {
  override readonly name = 'SessionElsewhere';
  constructor(
    readonly sessionId: string,
    readonly ownerUrl: string,
    /** How long the owner's lease has left unless renewed (ms). */
    readonly remainingMs: number,
  ) {
    super(`session ${sessionId} runs at ${ownerUrl}`);
  }
}

/** How long a tenant's limits are used before they are read again (wall ms). */
const LIMITS_TTL_MS = 30_000;

const SNAPSHOT_EVERY_EVENTS = 200_000;

/**
 * A session used this recently never leaves memory for maxLiveSessions: a request holds the
 * session it got (`get`) until its command is queued, and must not find it gone.
 */
const PIN_MS = 30_000;

/** Engine state and the session's own, as a snapshot row keeps them (gzipped JSON). */
interface SessionSnapshot {
  sim: SimulationSnapshot;
  link: Partial<LinkSettings>;
}

export class SessionRuntime {
  private readonly live = new Map<string, LiveSession>();
  /** Trace writers of sessions dropped from memory, until they have stopped writing. */
  private readonly retiring = new Map<string, Promise<void>>();
  private readonly loading = new Map<string, Promise<LiveSession | undefined>>();
  /** Tenants known to have their row (a session row points at its tenant's). */
  private readonly tenants = new Map<string, Promise<void>>();
  private readonly randomSeed: () => number;
  private readonly snapshotEveryEvents: number;
  private readonly snapshotOnClose: boolean;
  private readonly engineBehaviour: number;
  private readonly defaultLimits: Limits;
  private readonly tenantLimits = new Map<string, { readAt: number; limits: Promise<Limits> }>();
  /** Clock moves running and waiting, per tenant (maxConcurrentMoves). */
  private readonly moves = new Moves();
  /** Slices of clock moves and trace encoding, one per turn of the event loop. */
  private readonly turns = new Turns();
  /** Who hears the trace events of commands as they are logged (realtime streams). */
  private readonly traceListeners = new Map<TraceListener, (sessionId: string) => boolean>();
  private readonly storedListeners = new Set<StoredListener>();
  /** Session creations per tenant, one at a time (the session count is checked, then grown). */
  private readonly creating = new Map<string, Promise<unknown>>();
  private readonly idleMs: number;
  private readonly maxLiveSessions: number;
  private readonly pinMs: number;
  private readonly sweeper: NodeJS.Timeout;
  /** Which sessions this instance may run (the others run elsewhere, or nowhere yet). */
  readonly leases: Leases;
  /** Looks for playing sessions nobody runs (their instance died), every lease length. */
  private readonly orphanScan: NodeJS.Timeout;
  /** Set once the instance closes: it takes no session it does not run already. */
  private stopping = false;
  /** Set once the instance was told to stop: /readyz says so, for the balancer. */
  private draining = false;

  constructor(
    private readonly db: Database,
    private readonly log: FastifyBaseLogger,
    options: RuntimeOptions = {},
  ) {
    this.randomSeed = options.randomSeed ?? (() => Math.floor(Math.random() * 0x1_0000_0000));
    this.snapshotEveryEvents = options.snapshotEveryEvents ?? SNAPSHOT_EVERY_EVENTS;
    this.snapshotOnClose = options.snapshotOnClose ?? true;
    this.engineBehaviour = options.engineBehaviour ?? ENGINE_BEHAVIOUR;
    this.defaultLimits = options.limits ?? DEFAULT_LIMITS;
    this.idleMs = options.idleMs ?? DEFAULT_SESSION_IDLE_S * 1000;
    this.maxLiveSessions = options.maxLiveSessions ?? DEFAULT_MAX_LIVE_SESSIONS;
    this.pinMs = options.pinMs ?? PIN_MS;
    this.sweeper = setInterval(
      () => this.sweep(),
      options.sweepMs ?? Math.min(this.idleMs / 4, 60_000),
    );
    this.sweeper.unref();
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.leases = new Leases(db.pool, {
      instanceId: randomUUID(),
      url: options.advertiseUrl ?? '',
      leaseMs,
      log,
    });
    this.leases.start((lost) => {
      for (const id of lost) {
        const session = this.live.get(id);
        if (session === undefined) continue;
        this.log.warn({ sessionId: id }, 'another instance took the session: it left memory');
        this.evict(session);
      }
    });
    this.orphanScan = setInterval(() => {
      this.resumePlaying().catch((error: unknown) => {
        // The database away: the next look tries again.
        this.log.warn({ err: error }, 'could not look for playing sessions nobody runs');
      });
    }, leaseMs);
    this.orphanScan.unref();
  }

  /**
   * The instance was told to stop: /readyz answers 503 from now on, for the balancer to send
   * requests elsewhere, and it takes no more playing sessions; it serves on until it closes.
   */
  drain(): void {
    this.draining = true;
    clearInterval(this.orphanScan);
  }

  /** This instance's place in the cluster, for /readyz. */
  place(): ClusterPlace {
    return {
      instance: this.leases.options.instanceId,
      url: this.leases.options.url,
      state: this.draining || this.stopping ? 'draining' : 'serving',
      sessions: this.leases.count,
    };
  }

  /** Where other instances reach this one, once the server listens (unless configured). */
  advertise(url: string): void {
    if (this.leases.options.url !== '') return;
    this.leases.options.url = url;
    this.leases.heartbeat().catch((error: unknown) => {
      this.log.warn({ err: error }, 'could not tell the other instances where this one is');
    });
  }

  /** The limits in force for a tenant (its own over the defaults), read at most every 30 s. */
  limitsFor(tenantId: string): Promise<Limits> {
    const cached = this.tenantLimits.get(tenantId);
    if (cached !== undefined && performance.now() - cached.readAt < LIMITS_TTL_MS) {
      return cached.limits;
    }
    const limits = this.db.prisma.tenant
      .findUnique({ where: { id: tenantId }, select: { limits: true } })
      .then((row) => effectiveLimits(this.defaultLimits, storedOverrides(row?.limits)));
    this.tenantLimits.set(tenantId, { readAt: performance.now(), limits });
    limits.catch(() => this.tenantLimits.delete(tenantId));
    return limits;
  }

  /** A tenant's limits changed: the next request reads them again. */
  forgetLimits(tenantId: string): void {
    this.tenantLimits.delete(tenantId);
  }

  /** The service's default limits. */
  get defaults(): Limits {
    return this.defaultLimits;
  }

  /** Creates a session, within the tenant's maxSessions (creations of a tenant run in turn). */
  create(tenantId: string, body: CreateSession): Promise<LiveSession> {
    const previous = this.creating.get(tenantId) ?? Promise.resolve();
    const created = previous.then(
      () => this.createNow(tenantId, body),
      () => this.createNow(tenantId, body),
    );
    const settled = created.catch(() => undefined);
    this.creating.set(tenantId, settled);
    void settled.then(() => {
      if (this.creating.get(tenantId) === settled) this.creating.delete(tenantId);
    });
    return created;
  }

  private async createNow(tenantId: string, body: CreateSession): Promise<LiveSession> {
    const { maxSessions } = await this.limitsFor(tenantId);
    const count = await this.db.prisma.session.count({ where: { tenantId } });
    if (count >= maxSessions) {
      throw new ApiProblem(
        Problems.limitReached,
        `the tenant has ${count} sessions, its limit (maxSessions); delete one to make another`,
        { limit: 'maxSessions', value: maxSessions },
      );
    }
    let tenant = this.tenants.get(tenantId);
    if (tenant === undefined) {
      tenant = ensureTenant(this.db.prisma, tenantId, tenantId);
      this.tenants.set(tenantId, tenant);
      tenant.catch(() => this.tenants.delete(tenantId));
    }
    await tenant;
    const record = await insertSession(
      this.db.prisma,
      {
        tenantId,
        name: body.name ?? 'session',
        seed: body.seed ?? this.randomSeed(),
        settings: {
          link: body.link ?? {},
          profile: body.profile ?? 'rfc',
          defaults: body.defaults ?? {},
        },
        clock: { mode: body.clock?.mode ?? 'manual', speed: body.clock?.speed ?? 1, paused: true },
      },
      this.engineBehaviour,
    );
    // A new session is free: its lease is this instance's at once.
    await this.leases.claim(record.id);
    const session = this.liveSession(record, simulationFor(record));
    this.addLive(session);
    return session;
  }

  /** The session, from memory or rebuilt from its log; 404 for another tenant's or none. */
  async get(tenantId: string, id: string): Promise<LiveSession> {
    let session = this.live.get(id);
    if (session !== undefined && !this.leases.holds(id)) {
      // The lease lapsed here (renewals failed): another instance may have the session now.
      this.evict(session);
      session = undefined;
    }
    session ??= await this.load(id);
    if (session?.record.tenantId !== tenantId) throw noSession(id);
    session.usedAt = performance.now();
    return session;
  }

  /**
   * Keeps a session in memory; past maxLiveSessions, the least recently used leave (of those
   * unused for pinMs: the cap may be passed for a while rather than a request lose the session
   * it holds).
   */
  private addLive(session: LiveSession): void {
    this.live.set(session.record.id, session);
    let over = this.live.size - this.maxLiveSessions;
    if (over <= 0) return;
    const idlest = [...this.live.values()]
      .filter((s) => s !== session && this.mayLeave(s, this.pinMs))
      .sort((a, b) => a.usedAt - b.usedAt);
    for (const leaving of idlest) {
      if (over-- <= 0) break;
      void this.leave(leaving, this.pinMs);
    }
  }

  /** Sessions no request used for idleMs leave memory. */
  private sweep(): void {
    for (const session of this.live.values()) {
      if (this.mayLeave(session, this.idleMs)) void this.leave(session, this.idleMs);
    }
  }

  /**
   * Whether a session may leave memory: unused for `idleMs`, and not while its realtime clock
   * plays (its ticks use it) or a stream of this process watches it.
   */
  private mayLeave(session: LiveSession, idleMs: number): boolean {
    return (
      performance.now() - session.usedAt >= idleMs &&
      session.anchor === undefined &&
      !this.watched(session.record.id)
    );
  }

  /**
   * Takes a session out of memory once the commands queued before have run: snapshotted first
   * (its rebuild then replays nothing), its trace and snapshot written before it is loaded
   * again (evict). The next request brings it back, exactly as it was.
   */
  private async leave(session: LiveSession, idleMs: number): Promise<void> {
    const id = session.record.id;
    await session
      .exclusive(async () => {
        // Used, played or watched meanwhile, or gone already: it stays (or is not here).
        if (this.live.get(id) !== session || !this.mayLeave(session, idleMs)) return;
        if (session.commandSeq > session.snapshotSeq) this.snapshot(session);
        this.evict(session);
        this.log.info({ sessionId: id, idleMs }, 'session left memory');
        await session.snapshotWritten;
      })
      .catch((error: unknown) => {
        this.log.warn({ err: error, sessionId: id }, 'session could not leave memory');
      });
  }

  /**
   * What the database says of a session, without loading it (one another instance runs, one
   * only named by a route); 404 for another tenant's or none, as `get`.
   */
  async stored(tenantId: string, id: string): Promise<{ lastEventId: number }> {
    const row = await this.db.prisma.session.findFirst({
      where: { id, tenantId },
      select: { lastEventId: true },
    });
    if (row === null) throw noSession(id);
    return { lastEventId: Number(row.lastEventId) };
  }

  /**
   * Calls `listener` with the trace events of the commands of the sessions it `watches`, from
   * now on, in order, once each command is in the log; answers the function that stops it. A
   * command that started before the listener watched its session is not heard (its events,
   * made into rows as they came, were not kept): a stream reads them from the stored trace,
   * whose read waits for the command (readTrace).
   */
  onTrace(listener: TraceListener, watches: (sessionId: string) => boolean): () => void {
    this.traceListeners.set(listener, watches);
    return () => this.traceListeners.delete(listener);
  }

  /** Whether a trace listener watches the session (then its commands keep their events). */
  private watched(sessionId: string): boolean {
    for (const watches of this.traceListeners.values()) if (watches(sessionId)) return true;
    return false;
  }

  private publish(sessionId: string, events: readonly TraceEvent[]): void {
    if (events.length === 0) return;
    for (const listener of this.traceListeners.keys()) {
      try {
        listener(sessionId, events);
      } catch (error) {
        this.log.error({ err: error, sessionId }, 'a trace listener failed');
      }
    }
  }

  /** Calls `listener` each time a session's stored trace grows; answers how to stop it. */
  onStored(listener: StoredListener): () => void {
    this.storedListeners.add(listener);
    return () => this.storedListeners.delete(listener);
  }

  /** Sessions in memory, and those leaving it (their trace and snapshot still being written). */
  inMemory(): { live: number; leaving: number } {
    return { live: this.live.size, leaving: this.retiring.size };
  }

  /** The session if this process runs it now (without loading it from the database). */
  running(id: string): LiveSession | undefined {
    return this.live.get(id);
  }

  /** Runs a read of the engine after every command queued before it. */
  read<T>(session: LiveSession, look: () => T | Promise<T>): Promise<T> {
    return session.exclusive(async () => {
      this.checkRunning(session);
      return look();
    });
  }

  /**
   * Refuses to use a session that left memory while the call waited its turn (its lease lost,
   * a write failed, idle, deleted): what it holds may be ahead of the log, or another instance
   * may run it now. LeaseLost sends the request again to wherever it is (a deleted one: 404).
   */
  private checkRunning(session: LiveSession): void {
    if (this.live.get(session.record.id) !== session) throw new LeaseLost(session.record.id);
  }

  /**
   * Runs a read of the stored trace once the events of every command queued before it are in
   * the database (later commands go on meanwhile). `look` gets the last event id it may show:
   * beyond it the two tables may be stored one ahead of the other, and a page would skip.
   */
  async readTrace<T>(
    session: LiveSession,
    look: (storedThrough: number) => Promise<T>,
  ): Promise<T> {
    // Settled at once into a boolean: a failure must not be an unhandled rejection meanwhile.
    const { written } = await session.exclusive(() => {
      this.checkRunning(session);
      return Promise.resolve({
        written: session.trace.flushed().then(
          () => true,
          () => false,
        ),
      });
    });
    if (!(await written)) {
      throw new ApiProblem(Problems.notReady, 'the trace is being written again; retry');
    }
    return look(session.trace.storedThrough);
  }

  /**
   * A session as a user reads it: as it runs (here, or where it runs: SessionElsewhere), or
   * as its row says when it is read-only here.
   */
  async view(tenantId: string, id: string): Promise<SessionView> {
    try {
      const session = await this.get(tenantId, id);
      return await this.read(session, () => session.view());
    } catch (error) {
      if (!isReadOnly(error)) throw error;
      const row = await this.db.prisma.session.findFirst({ where: { id, tenantId } });
      if (row === null) throw noSession(id);
      return storedView(row);
    }
  }

  /**
   * How far a session's stored trace may be read, once the events of every command before are
   * stored. Read-only here, it is what both tables hold (the rest cannot be made again here).
   */
  async traceBound(tenantId: string, id: string): Promise<number> {
    try {
      const session = await this.get(tenantId, id);
      return await this.readTrace(session, (storedThrough) => Promise.resolve(storedThrough));
    } catch (error) {
      if (!isReadOnly(error)) throw error;
      await this.stored(tenantId, id);
      return storedPrefix(this.db.pool, id);
    }
  }

  /**
   * A tenant's sessions: those this instance runs as they are now, the others as their rows
   * say (listing loads nothing).
   */
  async list(tenantId: string): Promise<SessionView[]> {
    const rows = await listSessions(this.db.prisma, tenantId);
    return Promise.all(
      rows.map(async (row) => {
        const live = this.live.get(row.id);
        if (live === undefined || !this.leases.holds(row.id)) return storedView(row);
        // Left memory meanwhile: its row says all the same.
        return this.read(live, () => live.view()).catch(() => storedView(row));
      }),
    );
  }

  async rename(session: LiveSession, name: string): Promise<void> {
    await session.exclusive(async () => {
      await renameSession(this.db.prisma, session.record.id, name);
      session.record.name = name;
    });
  }

  async remove(session: LiveSession): Promise<void> {
    await session.exclusive(async () => {
      this.stopTicking(session);
      await session.trace.settled();
      await session.snapshotWritten;
      await deleteSession(this.db.prisma, session.record.id);
      this.live.delete(session.record.id);
      this.leases.forget(session.record.id);
    });
  }

  /**
   * Runs `check` (which may refuse the command with an ApiProblem), applies the command, and
   * writes it with its trace. A refused command changes nothing; a command the database did
   * not take is undone by dropping the session from memory (the next use replays the log).
   */
  execute(
    session: LiveSession,
    command: SessionCommand,
    refuse: (error: unknown) => never = rethrow,
    check: () => void = () => undefined,
  ): Promise<CommandResult & { events: number }> {
    return session.exclusive(async () => {
      this.checkRunning(session);
      command = await this.withinLimits(session, command);
      check();
      await session.trace.room();
      // A playing realtime clock first catches up with the wall clock: the command happens now.
      const atUs = session.virtualNowUs();
      let applied: Awaited<ReturnType<LiveSession['apply']>>;
      const release = await this.startMove(session, command);
      try {
        // Events are kept as they are for live streams, and few enough to go with the command.
        const keep = this.watched(session.record.id) ? Infinity : session.trace.inlineEvents;
        applied = await session.apply(command, atUs, this.turns, keep);
      } catch (error) {
        refuse(error);
      } finally {
        release();
      }
      const { trace } = applied;
      const inline = session.trace.takesInline(trace.count) ? trace.events : undefined;
      try {
        await writeCommand(
          this.db.pool,
          {
            sessionId: session.record.id,
            seq: session.commandSeq,
            command,
            atUs: applied.atUs,
            inlineEvents: inline,
            states: trace.states,
            newEndpoints: applied.newEndpoints,
            nowUs: session.sim.nowUs,
            lastEventId: session.lastEventId,
            ...(command.kind === 'setLink' ? { link: session.link } : {}),
          },
          this.fence(session.record.id),
        );
      } catch (error) {
        this.evict(session);
        // Another instance holds the session now: nothing was written; the caller asks it.
        if (error instanceof LeaseLost) {
          this.log.warn({ sessionId: session.record.id }, 'the lease was lost before the write');
          throw error;
        }
        this.log.error({ err: error, sessionId: session.record.id }, 'command not persisted');
        throw new ApiProblem(
          Problems.notReady,
          'the database did not take the command, so it was not applied; retry',
        );
      }
      if (inline !== undefined) session.trace.markStored(session.lastEventId);
      else session.trace.append(trace.toRows());
      if (trace.events !== undefined) this.publish(session.record.id, trace.events);
      if (session.eventsSinceSnapshot >= this.snapshotEveryEvents) {
        try {
          this.snapshot(session);
        } catch (error) {
          // A snapshot only shortens a rebuild (the log has everything): never fail a command.
          this.log.warn({ err: error, sessionId: session.record.id }, 'snapshot not taken');
        }
      }
      return { ...applied.result, events: trace.count };
    });
  }

  /**
   * Refuses a command past the session's limits, and bounds a clock move by the trace events
   * one request and the session may still produce (the bound is logged with the command, so a
   * rebuild stops where it stopped).
   */
  private async withinLimits(
    session: LiveSession,
    command: SessionCommand,
  ): Promise<SessionCommand> {
    const limits = await this.limitsFor(session.record.tenantId);
    const produced = session.sim.lastEventId;
    if (produced >= limits.maxTraceEvents) {
      throw new ApiProblem(
        Problems.limitReached,
        `the session has ${produced} trace events, the most one keeps (maxTraceEvents); it ` +
          'stays readable, and a new session goes on from scratch',
        { limit: 'maxTraceEvents', value: limits.maxTraceEvents },
      );
    }
    if (command.kind === 'addEndpoint') {
      const endpoints = session.sim.endpointIds().length;
      if (endpoints >= limits.maxEndpoints) {
        throw new ApiProblem(
          Problems.limitReached,
          `the session has ${endpoints} endpoints, its limit (maxEndpoints)`,
          { limit: 'maxEndpoints', value: limits.maxEndpoints },
        );
      }
    }
    if (command.kind === 'addFault' && session.sim.faultRules().length >= limits.maxFaultRules) {
      throw new ApiProblem(
        Problems.limitReached,
        `the session has ${limits.maxFaultRules} fault rules, its limit (maxFaultRules); ` +
          'delete one to add another',
        { limit: 'maxFaultRules', value: limits.maxFaultRules },
      );
    }
    const adding = payloadBytes(session.sim, command);
    if (adding > 0) this.checkHeldBytes(session, adding, limits);
    if (command.kind === 'advance' || command.kind === 'run') {
      const room = limits.maxTraceEvents - produced;
      return { ...command, maxEvents: Math.min(limits.maxEventsPerRequest, room) };
    }
    return command;
  }

  /** Clock moves of a tenant running now and waiting for a place (maxConcurrentMoves). */
  movesOf(tenantId: string): { running: number; waiting: number } {
    return this.moves.of(tenantId);
  }

  /** Lets a clock move start within the tenant's maxConcurrentMoves (moves.ts). */
  private async startMove(session: LiveSession, command: SessionCommand): Promise<() => void> {
    if (command.kind !== 'advance' && command.kind !== 'run' && command.kind !== 'step') {
      return () => undefined;
    }
    const { tenantId } = session.record;
    const { maxConcurrentMoves } = await this.limitsFor(tenantId);
    return this.moves.start(tenantId, maxConcurrentMoves);
  }

  /**
   * Refuses data that would take the bytes the session's or the tenant's endpoints hold past
   * their limits (maxSessionBufferedBytes, maxBufferedBytes). Data moves between endpoints
   * without growing: the sender keeps it until acknowledged, so what is held in transit stays
   * under twice what these checks let in.
   */
  private checkHeldBytes(session: LiveSession, adding: number, limits: Limits): void {
    const inSession = session.sim.heldBytes();
    if (inSession + adding > limits.maxSessionBufferedBytes) {
      throw new ApiProblem(
        Problems.limitReached,
        `the session's endpoints hold ${inSession} bytes; ${adding} more would pass its limit ` +
          `of ${limits.maxSessionBufferedBytes} (maxSessionBufferedBytes): receive or let the ` +
          'peer acknowledge first',
        { limit: 'maxSessionBufferedBytes', value: limits.maxSessionBufferedBytes },
      );
    }
    let inTenant = 0;
    for (const live of this.live.values()) {
      if (live.record.tenantId === session.record.tenantId) inTenant += live.sim.heldBytes();
    }
    if (inTenant + adding > limits.maxBufferedBytes) {
      throw new ApiProblem(
        Problems.limitReached,
        `the tenant's endpoints hold ${inTenant} bytes; ${adding} more would pass its limit of ` +
          `${limits.maxBufferedBytes} (maxBufferedBytes)`,
        { limit: 'maxBufferedBytes', value: limits.maxBufferedBytes },
      );
    }
  }

  private liveSession(record: SessionRecord, sim: Simulation): LiveSession {
    const fence = this.fence(record.id);
    const trace = new TraceWriter((rows) => writeTrace(this.db.tracePool, rows, fence), {
      onStored: (through) => {
        for (const listener of this.storedListeners) listener(record.id, through);
      },
      onFailure: (error) => {
        this.log.error({ err: error, sessionId: record.id }, 'trace not persisted');
        const session = this.live.get(record.id);
        if (session?.trace === trace) this.evict(session);
      },
    });
    return new LiveSession(record, sim, trace);
  }

  /**
   * Drops a session whose memory the database may not match; the next use rebuilds it, once
   * its trace writer has stopped (a rebuild writes what that writer did not).
   */
  private evict(session: LiveSession): void {
    const id = session.record.id;
    this.stopTicking(session);
    if (this.live.get(id) === session) this.live.delete(id);
    // Its lease goes once its writes have (a lease already lost is not released).
    const settled = Promise.all([session.trace.settled(), session.snapshotWritten])
      .then(() => this.leases.release([id]))
      .catch((error: unknown) => {
        this.log.warn({ err: error, sessionId: id }, 'lease not released: it lapses instead');
      });
    this.retiring.set(id, settled);
    void settled.then(() => {
      if (this.retiring.get(id) === settled) this.retiring.delete(id);
    });
  }

  /**
   * Keeps the engine's state, so that a rebuild replays only the commands after it. The state
   * is taken now; it is compressed and written behind the commands, once the trace up to it is
   * stored (a rebuild regenerates only the events after its snapshot).
   */
  private snapshot(session: LiveSession): void {
    const content: SessionSnapshot = { sim: session.sim.snapshot(), link: session.link };
    const json = JSON.stringify(content);
    const at = {
      commandSeq: session.commandSeq,
      lastEventId: session.lastEventId,
      timeUs: session.sim.nowUs,
    };
    session.eventsSinceSnapshot = 0;
    session.snapshotSeq = session.commandSeq;
    session.snapshotWritten = session.snapshotWritten.then(async () => {
      try {
        await session.trace.flushed();
        const state = await gzipAsync(json);
        await writeSnapshot(
          this.db.pool,
          session.record.id,
          { ...at, state, engineBehaviour: this.engineBehaviour },
          this.fence(session.record.id),
        );
      } catch (error) {
        // Only a longer rebuild is lost: the log has everything.
        this.log.warn({ err: error, sessionId: session.record.id }, 'snapshot not written');
      }
    });
  }

  /** The check each write of the session makes first: this instance still holds it. */
  private fence(sessionId: string) {
    return (client: PoolClient) => this.leases.fence(client, sessionId);
  }

  /** Rebuilds a session from its log, once even when several requests ask at the same time. */
  private load(id: string): Promise<LiveSession | undefined> {
    let pending = this.loading.get(id);
    if (pending === undefined) {
      pending = this.replay(id).finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  private async replay(id: string): Promise<LiveSession | undefined> {
    await this.retiring.get(id);
    const claim = await this.leases.claim(id);
    if (claim.kind === 'missing') return undefined;
    if (claim.kind === 'elsewhere') {
      throw new SessionElsewhere(id, claim.ownerUrl, claim.remainingMs);
    }
    try {
      return await this.rebuild(id);
    } catch (error) {
      await this.leases.release([id]).catch(() => undefined);
      throw error;
    }
  }

  /** Rebuilds a session this instance has just taken the lease of. */
  private async rebuild(id: string): Promise<LiveSession | undefined> {
    const row = await this.db.prisma.session.findUnique({ where: { id } });
    if (row === null) return undefined;
    const record = toRecord(row);
    const started = performance.now();
    const snapshot = await latestSnapshot(this.db.prisma, id);
    // Another engine behaviour wrote the log (an upgrade under way): this engine replays none
    // of it. It goes on only from a snapshot at the last command that it reads (one taken by
    // its own version or an older one), and the log goes on under its version from there.
    const adopting = row.engineBehaviour !== this.engineBehaviour;
    if (
      adopting &&
      (snapshot === undefined ||
        snapshot.commandSeq !== row.lastCommand ||
        snapshot.engineBehaviour > this.engineBehaviour)
    ) {
      throw readOnly(
        id,
        `its log was written by engine behaviour ${row.engineBehaviour} and this instance ` +
          `runs ${this.engineBehaviour}, which would not replay it exactly`,
      );
    }
    const stored = await lastStoredEventIds(this.db.pool, id);
    let session: LiveSession;
    if (snapshot === undefined) {
      session = this.liveSession(record, simulationFor(record));
    } else {
      const content = JSON.parse(gunzipSync(snapshot.state).toString('utf8')) as SessionSnapshot;
      session = this.liveSession(record, Simulation.restore(content.sim));
      session.link = content.link;
      session.commandSeq = snapshot.commandSeq;
      session.snapshotSeq = snapshot.commandSeq;
      session.lastEventId = snapshot.lastEventId;
      for (const endpoint of session.sim.endpointIds()) session.knownEndpoints.add(endpoint);
    }
    // Trace events the database did not get before the process stopped are written again.
    const unstored: TraceEvent[] = [];
    for (const { command, atUs } of await loadCommands(this.db.prisma, id, session.commandSeq)) {
      const events = (await session.apply(command, atUs, undefined)).trace.events ?? [];
      if (session.lastEventId > Math.min(stored.segments, stored.others)) {
        for (const e of events) if (isUnstored(e, stored)) unstored.push(e);
      }
    }
    // A clock paused (or stopped by a restart) after its last command: only time passed.
    if (Number(row.nowUs) > session.sim.nowUs) {
      session.sim.advance((Number(row.nowUs) - session.sim.nowUs) / 1000);
    }
    if (session.lastEventId !== Number(row.lastEventId) || session.commandSeq !== row.lastCommand) {
      // The engine is deterministic; a different end means the log or the engine changed
      // without its behaviour version: the session is kept as it is stored, read-only.
      this.log.error(
        { sessionId: id, replayed: session.lastEventId, stored: Number(row.lastEventId) },
        'replay diverged from the stored trace',
      );
      throw readOnly(id, 'replaying its log here does not end where it was');
    }
    if (adopting) {
      await adoptSession(this.db.pool, id, this.engineBehaviour, this.fence(id));
      this.log.info(
        { sessionId: id, from: row.engineBehaviour, to: this.engineBehaviour },
        'session goes on under this engine behaviour, from its snapshot',
      );
    }
    this.log.info(
      {
        sessionId: id,
        fromSnapshotAt: snapshot?.commandSeq ?? 0,
        commands: session.commandSeq,
        traceEventsWrittenAgain: unstored.length,
        ms: Math.round(performance.now() - started),
      },
      'session rebuilt from its log',
    );
    // Stored through the first missing event, then the rest as it is written again.
    session.trace.markStored((unstored[0]?.eventId ?? session.lastEventId + 1) - 1);
    session.trace.append(rowsOf(id, unstored));
    this.addLive(session);
    if (record.clock.mode === 'realtime' && !record.clock.paused) this.startTicking(session);
    return session;
  }

  /** Plays a realtime clock (at a new speed, if given) from where it is. */
  async play(session: LiveSession, speed: number | undefined): Promise<void> {
    await session.exclusive(async () => {
      const clock = { speed: speed ?? session.record.clock.speed, paused: false };
      await updateClock(this.db.prisma, session.record.id, clock);
      session.record.clock = { ...session.record.clock, ...clock };
      this.stopTicking(session);
      this.startTicking(session);
    });
  }

  /** Pauses a realtime clock where it has got to, running the events due until then. */
  async pause(session: LiveSession): Promise<void> {
    if (session.anchor === undefined) return;
    await this.execute(session, { kind: 'tick' });
    await this.stopPlaying(session);
  }

  /** Stops a realtime clock where the simulation is, and keeps it paused after a restart. */
  private async stopPlaying(session: LiveSession): Promise<void> {
    await session.exclusive(async () => {
      this.stopTicking(session);
      const clock = { speed: session.record.clock.speed, paused: true };
      await updateClock(this.db.prisma, session.record.id, { ...clock, nowUs: session.sim.nowUs });
      session.record.clock = { ...session.record.clock, ...clock };
    });
  }

  /**
   * Realtime sessions that play and that no instance holds (after a restart, or when the
   * instance that ran them died and its lease lapsed) play on here, from their last time. Run
   * at start and every lease length; of several instances looking, one takes each session.
   */
  async resumePlaying(): Promise<void> {
    if (this.stopping || this.draining) return;
    const me = this.leases.options.instanceId;
    for (const id of await listUnheldPlayingSessionIds(this.db.pool, me)) {
      if (this.live.has(id)) continue;
      await this.load(id).catch((error: unknown) => {
        if (error instanceof SessionElsewhere) return; // another instance took it first
        this.log.error({ err: error, sessionId: id }, 'could not resume a playing session');
      });
    }
  }

  /**
   * The instance is about to stop (its server still answers): every session it runs stops its
   * clock (a playing one stays playing in the database), is snapshotted (snapshotOnClose), has
   * its trace written, and leaves memory with its lease given to a serving instance, which
   * requests then reach at once (forwarded from here too). Commands queued before go first.
   */
  async handOver(): Promise<void> {
    this.stopping = true;
    this.drain();
    await this.leases.stopping().catch((error: unknown) => {
      this.log.warn({ err: error }, 'could not tell the other instances this one stops');
    });
    await Promise.all([...this.live.values()].map((session) => this.handOverOne(session)));
    await this.leases.handOverUnclaimed().catch((error: unknown) => {
      this.log.warn({ err: error }, 'leases handed here not handed on: they lapse instead');
    });
  }

  private async handOverOne(session: LiveSession): Promise<void> {
    const id = session.record.id;
    await session
      .exclusive(async () => {
        if (this.live.get(id) !== session) return;
        this.stopTicking(session);
        if (this.snapshotOnClose && session.commandSeq > session.snapshotSeq) {
          this.snapshot(session);
        }
        await Promise.all([session.trace.settled(), session.snapshotWritten]);
        this.live.delete(id);
        await this.leases.handOver([id]);
      })
      .catch((error: unknown) => {
        this.log.warn({ err: error, sessionId: id }, 'session not handed over: its lease lapses');
      });
  }

  /**
   * The server has stopped: what is still here (sessions taken while stopping) is written and
   * released as in handOver, and the instance leaves the cluster.
   */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await this.handOver();
    await this.leases.stop();
    await Promise.all(this.retiring.values());
    await this.leases.stopping(true).catch((error: unknown) => {
      this.log.warn({ err: error }, 'could not remove this instance from the cluster');
    });
  }

  private startTicking(session: LiveSession): void {
    session.anchor = { wallMs: performance.now(), virtualUs: session.sim.nowUs };
    const tick = () => {
      session.timer = undefined;
      if (this.live.get(session.record.id) !== session || session.anchor === undefined) return;
      const due = session.sim.nextEventTime();
      const done =
        due !== undefined && due <= session.virtualNowUs()
          ? this.execute(session, { kind: 'tick' })
          : Promise.resolve();
      done
        .catch((error: unknown) => {
          // Another instance took the session: it plays there now.
          if (error instanceof LeaseLost) return undefined;
          if (error instanceof ApiProblem && error.problem === Problems.limitReached) {
            // A full session cannot go on: it stops where it is, as if paused.
            this.log.warn({ sessionId: session.record.id }, error.detail);
            this.stopTicking(session);
            return this.stopPlaying(session);
          }
          this.log.error({ err: error, sessionId: session.record.id }, 'realtime tick failed');
          return undefined;
        })
        .catch((error: unknown) => {
          this.log.error({ err: error, sessionId: session.record.id }, 'could not pause');
        })
        .finally(() => {
          if (session.anchor !== undefined && this.live.get(session.record.id) === session) {
            session.timer = setTimeout(tick, TICK_MS);
          }
        });
    };
    session.timer = setTimeout(tick, TICK_MS);
  }

  private stopTicking(session: LiveSession): void {
    if (session.timer !== undefined) clearTimeout(session.timer);
    session.timer = undefined;
    session.anchor = undefined;
  }
}

/** A session this instance cannot continue exactly: read-only here (its trace stays readable). */
export function readOnly(id: string, why: string): ApiProblem {
  return new ApiProblem(
    Problems.sessionReadOnly,
    `session ${id} cannot be continued exactly here: ${why}; its trace, segments and capture ` +
      'stay readable',
  );
}

function isReadOnly(error: unknown): boolean {
  return error instanceof ApiProblem && error.problem === Problems.sessionReadOnly;
}

function noSession(id: string): ApiProblem {
  return new ApiProblem(Problems.notFound, `no session ${id}`);
}

/** An engine refusal no caller translates goes on as it is. */
function rethrow(error: unknown): never {
  throw error;
}

function simulationFor(record: SessionRecord): Simulation {
  return new Simulation({
    seed: record.seed,
    link: record.settings.link,
    defaults: record.settings.defaults,
    profile: record.settings.profile,
  });
}
