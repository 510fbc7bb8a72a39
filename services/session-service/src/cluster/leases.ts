/**
 * Who runs a session (DESIGN.md, scale-out). An instance runs a session only while it holds the
 * session's lease: a row of `session_leases` naming the instance, until when, and an epoch that
 * grows with every new holder. The holder renews its leases every third of their length; a
 * lease not renewed lapses, and the next instance asked for the session takes it (with the
 * epoch one higher) and rebuilds the session from its log.
 *
 * Fencing: every write of a session's log, trace and snapshots first checks, in its own
 * transaction, that the lease is still this instance's with the epoch it took (`fence`), and
 * holds the row (FOR SHARE) until it commits. An instance that paused past its lease (GC,
 * SIGSTOP, a cut to Postgres) so writes nothing once another took over; and a taker waits for a
 * write already under way, so its rebuild sees that write.
 *
 * Why a lease row and not an advisory lock on a held connection: a lock lives as long as its
 * connection, so a paused instance whose connection stays open keeps the session for good, and
 * one whose connection drops loses every session at once; and a lock cannot be checked inside
 * another connection's transaction. The row's expiry bounds a failover, and its epoch fences.
 * Times are the database's (`now()`): the instances' clocks never meet.
 */
import type pg from 'pg';

/** A lease this instance holds. */
interface Held {
  epoch: string;
  /** Until when this instance may act on it without renewing (performance.now() ms). */
  validUntil: number;
}

/** What asking for a session's lease found. */
export type Claim =
  | { kind: 'held' }
  /** Another instance holds it, for at most `remainingMs` more unless it renews. */
  | { kind: 'elsewhere'; ownerUrl: string; remainingMs: number }
  | { kind: 'missing' };

/** The session's lease is no longer this instance's: nothing was written. */
export class LeaseLost extends Error {
  override readonly name = 'LeaseLost';
  constructor(readonly sessionId: string) {
    super(`this instance no longer holds the lease of session ${sessionId}`);
  }
}

export interface LeaseOptions {
  /** This instance, as lease rows name it (new at every start). */
  instanceId: string;
  /** Where the other instances reach this one (TCPLAB_ADVERTISE_URL). */
  url: string;
  /** How long a lease lasts unless renewed (TCPLAB_LEASE_MS). */
  leaseMs: number;
  log: { warn(obj: unknown, message: string): void };
}

/**
 * A lease is trusted locally for this share of its length from when its renewal was sent: the
 * database's expiry is later still (it counts from when the statement ran), so a slow clock here
 * would need to run 10% slow to act on a lapsed lease.
 */
const LOCAL_SHARE = 0.9;

/** Postgres's foreign-key violation: the session does not exist (or is being deleted). */
const FOREIGN_KEY_VIOLATION = '23503';

/** An instance another can hand sessions to. */
interface Peer {
  id: string;
  url: string;
}

export class Leases {
  private readonly held = new Map<string, Held>();
  /** What this instance tells the others (cluster_instances) at every renewal. */
  private state: 'serving' | 'stopping' = 'serving';
  private renewer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    readonly options: LeaseOptions,
  ) {}

  /** Whether this instance holds the session's lease now (renewed recently enough). */
  holds(sessionId: string): boolean {
    const held = this.held.get(sessionId);
    return held !== undefined && held.validUntil > performance.now();
  }

  /** Leases held, for /readyz and the tests. */
  get count(): number {
    return this.held.size;
  }

  /**
   * Takes the session's lease if it is free, lapsed or this instance's already (a new epoch
   * either way: a session is taken before it is rebuilt, and the rebuild is a new holder);
   * else says who holds it.
   */
  async claim(sessionId: string): Promise<Claim> {
    const { instanceId, url, leaseMs } = this.options;
    const sent = performance.now();
    let taken: pg.QueryResult<{ epoch: string }>;
    try {
      taken = await this.pool.query<{ epoch: string }>(
        `INSERT INTO session_leases (session_id, owner, owner_url, epoch, expires_at)
           VALUES ($1, $2, $3, 1, now() + $4 * interval '1 millisecond')
         ON CONFLICT (session_id) DO UPDATE
           SET owner = EXCLUDED.owner, owner_url = EXCLUDED.owner_url,
               epoch = session_leases.epoch + 1, expires_at = EXCLUDED.expires_at
           WHERE session_leases.expires_at <= now() OR session_leases.owner = EXCLUDED.owner
         RETURNING epoch`,
        [sessionId, instanceId, url, leaseMs],
      );
    } catch (error) {
      if ((error as { code?: string }).code === FOREIGN_KEY_VIOLATION) return { kind: 'missing' };
      throw error;
    }
    const row = taken.rows[0];
    if (row !== undefined) {
      this.held.set(sessionId, { epoch: row.epoch, validUntil: sent + leaseMs * LOCAL_SHARE });
      return { kind: 'held' };
    }
    this.held.delete(sessionId);
    const holder = await this.pool.query<{ owner_url: string; remaining_ms: number }>(
      `SELECT owner_url,
              GREATEST(0, EXTRACT(EPOCH FROM expires_at - now()) * 1000)::float8 AS remaining_ms
         FROM session_leases WHERE session_id = $1`,
      [sessionId],
    );
    const found = holder.rows[0];
    // Gone meanwhile (the session was deleted): as if it never was.
    if (found === undefined) return { kind: 'missing' };
    return { kind: 'elsewhere', ownerUrl: found.owner_url, remainingMs: found.remaining_ms };
  }

  /**
   * The fence: the first statement of every transaction that writes a session's log, trace or
   * snapshot. Refuses (LeaseLost) unless the lease is still this instance's, with the epoch it
   * took, and unexpired; holds the row until the transaction ends, so a taker waits for it.
   */
  async fence(client: pg.PoolClient, sessionId: string): Promise<void> {
    const held = this.held.get(sessionId);
    if (held === undefined) throw new LeaseLost(sessionId);
    const result = await client.query(
      `SELECT 1 FROM session_leases
         WHERE session_id = $1 AND owner = $2 AND epoch = $3 AND expires_at > now()
         FOR SHARE`,
      [sessionId, this.options.instanceId, held.epoch],
    );
    if (result.rowCount === 0) {
      this.held.delete(sessionId);
      throw new LeaseLost(sessionId);
    }
  }

  /** Gives leases up (the sessions left memory, or the instance stops): others take them now. */
  async release(sessionIds: readonly string[]): Promise<void> {
    await this.expire(this.letGo(sessionIds));
  }

  /** Stops holding these leases here; answers those it held, with their epochs. */
  private letGo(sessionIds: readonly string[]): { id: string; epoch: string }[] {
    return sessionIds.flatMap((id) => {
      const held = this.held.get(id);
      this.held.delete(id);
      return held === undefined ? [] : [{ id, epoch: held.epoch }];
    });
  }

  /** Ends leases of this instance now, if still as they were. */
  private async expire(mine: readonly { id: string; epoch: string }[]): Promise<void> {
    if (mine.length === 0) return;
    await this.pool.query(
      `UPDATE session_leases l SET expires_at = now()
         FROM unnest($1::uuid[], $2::bigint[]) AS mine(id, epoch)
         WHERE l.session_id = mine.id AND l.epoch = mine.epoch AND l.owner = $3`,
      [mine.map((m) => m.id), mine.map((m) => m.epoch), this.options.instanceId],
    );
  }

  /**
   * Gives sessions to serving instances, round the list, as the instance stops: each lease is
   * written in the peer's name with a new epoch, so requests go to the peer at once (its next
   * claim takes the lease as its own). Without a serving peer, the leases are released.
   */
  async handOver(sessionIds: readonly string[]): Promise<void> {
    await this.give(this.letGo(sessionIds));
  }

  /**
   * Hands over, as handOver does, the leases still in this instance's name that it never took
   * up (sessions another stopping instance handed to it, not asked for since).
   */
  async handOverUnclaimed(): Promise<void> {
    const { rows } = await this.pool.query<{ id: string; epoch: string }>(
      `SELECT session_id AS id, epoch FROM session_leases WHERE owner = $1 AND expires_at > now()`,
      [this.options.instanceId],
    );
    await this.give(rows.filter((row) => !this.held.has(row.id)));
  }

  private async give(leases: readonly { id: string; epoch: string }[]): Promise<void> {
    if (leases.length === 0) return;
    const peers = await this.peers();
    if (peers.length === 0) {
      await this.expire(leases);
      return;
    }
    const given = leases.flatMap((lease, i) => {
      const peer = peers[i % peers.length];
      return peer === undefined ? [] : [{ ...lease, peer }];
    });
    await this.pool.query(
      `UPDATE session_leases l
          SET owner = given.peer, owner_url = given.url, epoch = l.epoch + 1,
              expires_at = now() + $5 * interval '1 millisecond'
         FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[])
              AS given(id, epoch, peer, url)
         WHERE l.session_id = given.id AND l.epoch = given.epoch AND l.owner = $6`,
      [
        given.map((g) => g.id),
        given.map((g) => g.epoch),
        given.map((g) => g.peer.id),
        given.map((g) => g.peer.url),
        this.options.leaseMs,
        this.options.instanceId,
      ],
    );
  }

  /** Serving instances other than this one, heard from within a lease's length. */
  private async peers(): Promise<Peer[]> {
    const { rows } = await this.pool.query<Peer>(
      `SELECT id, url FROM cluster_instances
         WHERE state = 'serving' AND id <> $1 AND url <> ''
           AND seen_at > now() - $2 * interval '1 millisecond'
         ORDER BY id`,
      [this.options.instanceId, this.options.leaseMs],
    );
    return rows;
  }

  /**
   * Tells the others this instance is stopping (it is handed no session); `gone` once it has
   * stopped (its row is removed).
   */
  async stopping(gone = false): Promise<void> {
    this.state = 'stopping';
    if (gone) {
      await this.pool.query('DELETE FROM cluster_instances WHERE id = $1', [
        this.options.instanceId,
      ]);
    } else {
      await this.heartbeat();
    }
  }

  /** Says where this instance is and whether it serves; forgets instances silent for an hour. */
  async heartbeat(): Promise<void> {
    if (this.options.url === '') return; // not listening yet
    await this.pool.query(
      `INSERT INTO cluster_instances (id, url, state, seen_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, state = EXCLUDED.state, seen_at = now()`,
      [this.options.instanceId, this.options.url, this.state],
    );
    await this.pool.query(
      `DELETE FROM cluster_instances WHERE seen_at < now() - interval '1 hour'`,
    );
  }

  /** Forgets a lease without writing (its session was deleted, the row with it). */
  forget(sessionId: string): void {
    this.held.delete(sessionId);
  }

  /**
   * Renews every lease held, every third of a lease's length; `onLost` hears the sessions whose
   * lease another instance took meanwhile (they must leave memory without writing).
   */
  start(onLost: (sessionIds: string[]) => void): void {
    const every = this.options.leaseMs / 3;
    const renew = () => {
      this.renewing = this.heartbeat()
        .then(() => this.renew())
        .then(onLost)
        .catch((error: unknown) => {
          // Postgres unreachable: the leases lapse here (holds() turns false) as they lapse
          // there; the next renewal tries again.
          this.options.log.warn({ err: error }, 'leases not renewed');
        })
        .finally(() => {
          this.renewing = undefined;
          if (this.renewer !== undefined) {
            this.renewer = setTimeout(renew, every);
            this.renewer.unref();
          }
        });
    };
    // The first look at once: the others learn of this instance as soon as it listens.
    this.renewer = setTimeout(renew, 0);
    this.renewer.unref();
  }

  /** Stops renewing (the instance is stopping; release what it holds next). */
  async stop(): Promise<void> {
    if (this.renewer !== undefined) clearTimeout(this.renewer);
    this.renewer = undefined;
    await this.renewing;
  }

  /**
   * Renews the leases held; answers those found taken by another instance. A lease that lapsed
   * with nobody taking it is renewed as well: its epoch is unchanged, so nothing was written by
   * another holder meanwhile.
   */
  private async renew(): Promise<string[]> {
    if (this.held.size === 0) return [];
    const sent = performance.now();
    const asked = [...this.held].map(([id, held]) => ({ id, epoch: held.epoch }));
    const renewed = await this.pool.query<{ session_id: string }>(
      `UPDATE session_leases l SET expires_at = now() + $4 * interval '1 millisecond'
         FROM unnest($1::uuid[], $2::bigint[]) AS mine(id, epoch)
         WHERE l.session_id = mine.id AND l.epoch = mine.epoch AND l.owner = $3
         RETURNING l.session_id`,
      [
        asked.map((a) => a.id),
        asked.map((a) => a.epoch),
        this.options.instanceId,
        this.options.leaseMs,
      ],
    );
    const still = new Set(renewed.rows.map((row) => row.session_id));
    const lost: string[] = [];
    for (const { id, epoch } of asked) {
      const held = this.held.get(id);
      // Taken again or released meanwhile: that newer claim is not this renewal's.
      if (held?.epoch !== epoch) continue;
      if (still.has(id)) held.validUntil = sent + this.options.leaseMs * LOCAL_SHARE;
      else {
        this.held.delete(id);
        lost.push(id);
      }
    }
    return lost;
  }
}
