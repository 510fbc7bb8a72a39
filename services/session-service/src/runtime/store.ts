/**
 * A session's rows in Postgres: the session itself, its command log, its endpoints and its
 * snapshots. A command is written in one transaction before its response (trace-store.ts
 * writes the trace events it produced).
 */
import type { Session as SessionView } from '@tcplab/contract';
import type { Profile, TraceEvent } from '@tcplab/engine';
import type { Pool } from 'pg';
import type { Prisma, PrismaClient } from '../generated/prisma/client.js';
import type { SessionCommand } from '@tcplab/session-core';
import { transaction, type Fence } from '../store/database.js';
import { insertTrace } from './trace-store.js';

export interface SessionSettings {
  link: Prisma.JsonObject;
  /** The endpoints' profile; sessions made before profiles have none: rfc. */
  profile: Profile;
  defaults: Prisma.JsonObject;
}

export interface ClockSettings {
  mode: 'manual' | 'realtime';
  /** Virtual time per wall time, for realtime. */
  speed: number;
  /** A realtime clock that is not playing. */
  paused: boolean;
}

export interface SessionRecord {
  id: string;
  tenantId: string;
  name: string;
  seed: number;
  settings: SessionSettings;
  clock: ClockSettings;
  createdAt: Date;
}

export interface LoggedCommand {
  command: SessionCommand;
  /** Virtual time the command was applied at (µs). */
  atUs: number;
}

export interface NewEndpointRow {
  id: string;
  parentId: string | undefined;
  name: string;
  address: string;
  port: number;
  options: Record<string, unknown>;
}

/** What one accepted command leaves in the database. */
export interface CommandWrite {
  sessionId: string;
  seq: number;
  command: SessionCommand;
  /** Virtual time when the command was applied (µs). */
  atUs: number;
  /**
   * The command's trace events, to write in the same transaction (a small trace with nothing
   * queued before it); undefined when they follow through the session's TraceWriter.
   */
  inlineEvents: readonly TraceEvent[] | undefined;
  /** The last state each endpoint entered in the command. */
  states: ReadonlyMap<string, string>;
  newEndpoints: readonly NewEndpointRow[];
  /** Virtual time and last event id after the command. */
  nowUs: number;
  lastEventId: number;
  /** The link settings in force after a setLink command (what a listing shows). */
  link?: object;
}

/** A `sessions` row as the runtime keeps it. */
export function toRecord(row: {
  id: string;
  tenantId: string;
  name: string;
  seed: bigint;
  settings: Prisma.JsonValue;
  clockMode: 'manual' | 'realtime';
  speed: number;
  paused: boolean;
  createdAt: Date;
}): SessionRecord {
  const settings = (row.settings ?? {}) as Partial<SessionSettings>;
  return {
    id: row.id,
    tenantId: row.tenantId,
    name: row.name,
    seed: Number(row.seed),
    settings: {
      link: settings.link ?? {},
      profile: settings.profile ?? 'rfc',
      defaults: settings.defaults ?? {},
    },
    clock: { mode: row.clockMode, speed: row.speed, paused: row.paused },
    createdAt: row.createdAt,
  };
}

export async function insertSession(
  prisma: PrismaClient,
  session: Omit<SessionRecord, 'id' | 'createdAt'>,
  engineBehaviour: number,
): Promise<SessionRecord> {
  const row = await prisma.session.create({
    data: {
      engineBehaviour,
      tenantId: session.tenantId,
      name: session.name,
      seed: BigInt(session.seed),
      settings: {
        link: session.settings.link,
        profile: session.settings.profile,
        defaults: session.settings.defaults,
      },
      clockMode: session.clock.mode,
      speed: session.clock.speed,
      paused: session.clock.paused,
    },
  });
  return toRecord(row);
}

/** A tenant's session rows, oldest first. */
export function listSessions(prisma: PrismaClient, tenantId: string): Promise<SessionRow[]> {
  return prisma.session.findMany({ where: { tenantId }, orderBy: { createdAt: 'asc' } });
}

type SessionRow = Awaited<ReturnType<PrismaClient['session']['findUniqueOrThrow']>>;

/**
 * A session as its row says it is, for a session this instance does not run: every command's
 * effect is there (the row is written with the command), but a realtime clock playing
 * elsewhere shows the time of its last command.
 */
export function storedView(row: SessionRow): SessionView {
  const record = toRecord(row);
  return {
    id: record.id,
    name: record.name,
    seed: record.seed,
    clock: {
      mode: record.clock.mode,
      nowMs: Number(row.nowUs) / 1000,
      speed: record.clock.speed,
      running: record.clock.mode === 'realtime' && !record.clock.paused,
    },
    link: (row.link ?? record.settings.link) as SessionView['link'],
    profile: record.settings.profile,
    defaults: record.settings.defaults,
    lastEventId: Number(row.lastEventId),
    createdAt: record.createdAt.toISOString(),
  };
}

/**
 * Playing realtime sessions no instance runs: none holds them (never taken since a restart, or
 * their instance died and the lease lapsed), or one that stopped handed them to `instanceId`.
 * Some instance must take them, to play them on.
 */
export async function listUnheldPlayingSessionIds(
  pool: Pool,
  instanceId: string,
): Promise<string[]> {
  const result = await pool.query<{ id: string }>(
    `SELECT s.id FROM sessions s LEFT JOIN session_leases l ON l.session_id = s.id
       WHERE s.clock_mode = 'realtime' AND NOT s.paused
         AND (l.session_id IS NULL OR l.expires_at <= now() OR l.owner = $1)`,
    [instanceId],
  );
  return result.rows.map((row) => row.id);
}

export async function renameSession(prisma: PrismaClient, id: string, name: string): Promise<void> {
  await prisma.session.update({ where: { id }, data: { name } });
}

export async function deleteSession(prisma: PrismaClient, id: string): Promise<void> {
  await prisma.session.delete({ where: { id } });
}

export async function updateClock(
  prisma: PrismaClient,
  id: string,
  clock: { speed: number; paused: boolean; nowUs?: number },
): Promise<void> {
  await prisma.session.update({
    where: { id },
    data: {
      speed: clock.speed,
      paused: clock.paused,
      ...(clock.nowUs === undefined ? {} : { nowUs: BigInt(clock.nowUs) }),
    },
  });
}

/** Realtime sessions whose clock was playing: they play on after a restart. */
export interface SnapshotRow {
  commandSeq: number;
  lastEventId: number;
  state: Uint8Array;
  /** The engine behaviour version that took it. */
  engineBehaviour: number;
}

/**
 * Keeps the engine's state after command `commandSeq`; older snapshots are dropped. Through
 * the pool, not Prisma: written through Prisma, the memory outside the heap grew with the
 * snapshots and stayed after every session had left (bench/idle-memory.ts: 9.6 MiB after 200
 * sessions of 20 kB had left, 0.2 MiB this way).
 */
export async function writeSnapshot(
  pool: Pool,
  sessionId: string,
  snapshot: SnapshotRow & { timeUs: number },
  fence: Fence,
): Promise<void> {
  await transaction(pool, async (client) => {
    await fence(client);
    await client.query(
      `INSERT INTO snapshots (session_id, command_seq, last_event_id, time_us, state, engine_behaviour)
         VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        sessionId,
        snapshot.commandSeq,
        snapshot.lastEventId,
        snapshot.timeUs,
        snapshot.state,
        snapshot.engineBehaviour,
      ],
    );
    await client.query(`DELETE FROM snapshots WHERE session_id = $1 AND command_seq < $2`, [
      sessionId,
      snapshot.commandSeq,
    ]);
  });
}

export async function latestSnapshot(
  prisma: PrismaClient,
  sessionId: string,
): Promise<SnapshotRow | undefined> {
  const row = await prisma.snapshot.findFirst({
    where: { sessionId },
    orderBy: { commandSeq: 'desc' },
  });
  return row === null
    ? undefined
    : {
        commandSeq: row.commandSeq,
        lastEventId: Number(row.lastEventId),
        state: row.state,
        engineBehaviour: row.engineBehaviour,
      };
}

/** The command log, in order, with the virtual time of each command. */
export async function loadCommands(
  prisma: PrismaClient,
  sessionId: string,
  afterSeq = 0,
): Promise<LoggedCommand[]> {
  const rows = await prisma.command.findMany({
    where: { sessionId, seq: { gt: afterSeq } },
    orderBy: { seq: 'asc' },
    select: { payload: true, atUs: true },
  });
  return rows.map((row) => ({
    command: row.payload as unknown as SessionCommand,
    atUs: Number(row.atUs),
  }));
}

/**
 * Writes a command with the endpoints it created and the states they reached, atomically, and
 * with its trace events when given `inlineEvents`; otherwise they follow through the session's
 * TraceWriter (the log alone can regenerate them).
 */
export async function writeCommand(pool: Pool, write: CommandWrite, fence: Fence): Promise<void> {
  await transaction(pool, async (client) => {
    await fence(client);
    await client.query(
      `INSERT INTO commands (session_id, seq, kind, payload, at_us) VALUES ($1, $2, $3, $4, $5)`,
      [write.sessionId, write.seq, write.command.kind, JSON.stringify(write.command), write.atUs],
    );
    if (write.inlineEvents !== undefined) {
      await insertTrace(client, write.sessionId, write.inlineEvents);
    }
    for (const e of write.newEndpoints) {
      await client.query(
        `INSERT INTO endpoints (session_id, id, parent_id, name, address, port, options)
           VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [
          write.sessionId,
          e.id,
          e.parentId ?? null,
          e.name,
          e.address,
          e.port,
          JSON.stringify(e.options),
        ],
      );
    }
    if (write.command.kind === 'setOptions') {
      // The row keeps the options the endpoint has now (over the defaults): the change joins them.
      await client.query(
        `UPDATE endpoints SET options = options || $3::jsonb WHERE session_id = $1 AND id = $2`,
        [write.sessionId, write.command.endpointId, JSON.stringify(write.command.options)],
      );
    }
    for (const [endpointId, state] of write.states) {
      await client.query(`UPDATE endpoints SET state = $3 WHERE session_id = $1 AND id = $2`, [
        write.sessionId,
        endpointId,
        state,
      ]);
    }
    await client.query(
      `UPDATE sessions SET last_command = $2, last_event_id = $3, now_us = $4, updated_at = now(),
         link = COALESCE($5::jsonb, link)
         WHERE id = $1`,
      [
        write.sessionId,
        write.seq,
        write.lastEventId,
        write.nowUs,
        write.link === undefined ? null : JSON.stringify(write.link),
      ],
    );
  });
}

/**
 * The session's log goes on under another engine behaviour version, from a snapshot at its
 * last command (runtime.ts: a session moved to a newer instance during an upgrade).
 */
export async function adoptSession(
  pool: Pool,
  sessionId: string,
  engineBehaviour: number,
  fence: Fence,
): Promise<void> {
  await transaction(pool, async (client) => {
    await fence(client);
    await client.query('UPDATE sessions SET engine_behaviour = $2 WHERE id = $1', [
      sessionId,
      engineBehaviour,
    ]);
  });
}
