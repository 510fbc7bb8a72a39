/**
 * One session in memory: its simulation, where its command log and trace stand, and the queue
 * its commands and reads take in turn (SessionRuntime runs them).
 */
import type { Session as SessionView } from '@tcplab/contract';
import type { LinkSettings, Simulation } from '@tcplab/engine';
import {
  applyNow,
  applySliced,
  SLICE_MS,
  type CommandResult,
  type SessionCommand,
} from '@tcplab/session-core';
import type { NewEndpointRow, SessionRecord } from './store.js';
import { TraceCollector } from './trace-collector.js';
import type { TraceWriter } from './trace-writer.js';
import type { Turns } from './turns.js';

/** One session in memory: its simulation, and where its log stands. */
/** How often a playing realtime clock looks for due events (wall ms). */
export const TICK_MS = 10;

export class LiveSession {
  /** The link settings in force (the session's, changed by setLink commands). */
  link: Partial<LinkSettings>;
  commandSeq = 0;
  lastEventId = 0;
  readonly knownEndpoints = new Set<string>();
  /** Trace events since the last snapshot. */
  eventsSinceSnapshot = 0;
  /** The command the last snapshot was taken after (0: none). */
  snapshotSeq = 0;
  /** When a request last used the session (wall ms): idle sessions leave memory. */
  usedAt = performance.now();
  /**
   * A playing realtime clock: virtual time is `virtualUs` plus speed x the wall time since
   * `wallMs`. Undefined while paused, and always for a manual clock.
   */
  anchor: { wallMs: number; virtualUs: number } | undefined;
  timer: NodeJS.Timeout | undefined;
  /** The snapshot being written behind the commands, if any (never rejects). */
  snapshotWritten: Promise<void> = Promise.resolve();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly record: SessionRecord,
    readonly sim: Simulation,
    /** Writes the trace events of the commands behind them. */
    readonly trace: TraceWriter,
  ) {
    this.link = { ...(record.settings.link as Partial<LinkSettings>) };
  }

  /** Runs `work` after every earlier call on this session has finished. */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Virtual time now: the simulation's, or where a playing realtime clock has got to. */
  virtualNowUs(wallMs = performance.now()): number {
    if (this.anchor === undefined) return this.sim.nowUs;
    const elapsed = (wallMs - this.anchor.wallMs) * 1000 * this.record.clock.speed;
    return Math.max(this.sim.nowUs, Math.floor(this.anchor.virtualUs + elapsed));
  }

  /**
   * Applies a command at virtual time `atUs` (the clock first runs there: a realtime clock's
   * due events, or a replayed command's time) and collects what it produced: its trace events
   * as they are, up to `keepEvents` of them, else as rows. Live commands take `turns` between
   * slices of a long clock move (other requests run between them); a rebuild runs them
   * straight through.
   */
  async apply(
    command: SessionCommand,
    atUs: number,
    turns: Turns | undefined,
    keepEvents = Infinity,
  ) {
    const trace = new TraceCollector(this.record.id, keepEvents);
    let result: CommandResult;
    if (turns === undefined) {
      result = applyNow(this.sim, command, atUs);
      trace.take(this.sim.drainTrace());
    } else {
      // Between the engine's slices, the events so far are made into rows in slices of their
      // own: each slice in a turn of its own.
      const collect = async () => {
        trace.take(this.sim.drainTrace());
        while (trace.hasPending) {
          await turns.next();
          trace.encode(SLICE_MS);
        }
      };
      result = await applySliced(this.sim, command, atUs, async () => {
        await collect();
        await turns.next();
      });
      await collect();
    }
    if (command.kind === 'setLink') this.link = { ...this.link, ...command.link };
    if (trace.count > 0) this.lastEventId = trace.lastEventId;
    const newEndpoints: NewEndpointRow[] = [];
    for (const id of this.sim.endpointIds()) {
      if (this.knownEndpoints.has(id)) continue;
      this.knownEndpoints.add(id);
      const info = this.sim.endpointInfo(id);
      newEndpoints.push({
        id,
        parentId: info.parentId,
        name: info.name,
        address: info.local.address,
        port: info.local.port,
        options: command.kind === 'addEndpoint' ? (command.spec.options ?? {}) : {},
      });
    }
    this.commandSeq += 1;
    this.eventsSinceSnapshot += trace.count;
    return { atUs, result, trace, newEndpoints };
  }

  view(): SessionView {
    return {
      id: this.record.id,
      name: this.record.name,
      seed: this.record.seed,
      clock: {
        mode: this.record.clock.mode,
        nowMs: this.virtualNowUs() / 1000,
        speed: this.record.clock.speed,
        running: this.anchor !== undefined,
      },
      link: this.link as SessionView['link'],
      profile: this.record.settings.profile,
      defaults: this.record.settings.defaults,
      lastEventId: this.lastEventId,
      createdAt: this.record.createdAt.toISOString(),
    };
  }
}
