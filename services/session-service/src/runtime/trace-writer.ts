/**
 * Writes one session's trace events behind its commands. A command is answered once its log
 * row is in Postgres; the events it produced, made into rows, join a queue that is written in
 * large batches, while the engine goes on with the next command. Nothing is lost to a crash in
 * between: the log regenerates every event, and a rebuild writes those the database did not
 * get (SessionRuntime.replay).
 */
import { joinRows, type TraceRows } from './trace-rows.js';

/** Writes a batch of consecutive events; rejects when the database did not take them. */
export type TraceSink = (rows: TraceRows) => Promise<void>;

export interface TraceWriterOptions {
  /**
   * A batch takes queued commands' rows until it holds this many events (a command's rows are
   * never split).
   */
  batchEvents?: number;
  /** Commands wait (`room()`) while more events than this are queued. */
  highWaterEvents?: number;
  /**
   * A command's trace of at most this many events, with nothing queued before it, goes in the
   * command's own transaction (`takesInline`): one round of statements instead of two
   * transactions.
   */
  inlineEvents?: number;
  /** Called once when a batch fails; the writer then stops and drops what is queued. */
  onFailure?: (error: unknown) => void;
  /** Called each time `storedThrough` moves on, with its new value. */
  onStored?: (storedThrough: number) => void;
}

export class TraceWriter {
  private queue: TraceRows[] = [];
  /** Events in the queue. */
  private queued = 0;
  private writing: Promise<void> | undefined;
  private failure: Error | undefined;
  private readonly batchEvents: number;
  private readonly highWaterEvents: number;
  /** The most events a command may write itself (`takesInline`). */
  readonly inlineEvents: number;
  /** Waiters for the queue to shrink below the high-water mark. */
  private roomWaiters: (() => void)[] = [];
  /** The last event queued, and the last one written. */
  private appendedId = 0;
  private writtenId = 0;
  private flushWaiters: { upTo: number; resolve: () => void; reject: (e: Error) => void }[] = [];

  constructor(
    private readonly sink: TraceSink,
    private readonly options: TraceWriterOptions = {},
  ) {
    this.batchEvents = options.batchEvents ?? 100_000;
    this.highWaterEvents = options.highWaterEvents ?? 250_000;
    this.inlineEvents = options.inlineEvents ?? 2_000;
  }

  /** Queues rows of events (in eventId order, after every event queued before). */
  append(rows: TraceRows): void {
    if (this.failure !== undefined || rows.count === 0) return;
    this.queue.push(rows);
    this.queued += rows.count;
    this.appendedId = rows.lastEventId;
    this.writing ??= this.drain();
  }

  /**
   * Every event up to this id is stored, in both tables: what a read of the stored trace may
   * show (later events may be partly stored, one table ahead of the other).
   */
  get storedThrough(): number {
    return this.writtenId;
  }

  /**
   * Events up to `eventId` are stored by other means (with their command, when nothing was
   * queued; or before a rebuild).
   */
  markStored(eventId: number): void {
    if (!this.idle()) throw new Error('trace events were stored past a queue');
    this.appendedId = Math.max(this.appendedId, eventId);
    this.stored(eventId);
  }

  /**
   * Whether a command's `count` events should be written with the command instead of queued
   * (then `markStored` once its transaction is committed).
   */
  takesInline(count: number): boolean {
    return count <= this.inlineEvents && this.idle();
  }

  /** Nothing queued, nothing being written, no failure: the stored trace is complete. */
  private idle(): boolean {
    return this.writing === undefined && this.queued === 0 && this.failure === undefined;
  }

  /** Resolves once every event queued so far is in the database; rejects if a batch failed. */
  flushed(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.writtenId >= this.appendedId) return Promise.resolve();
    return new Promise((resolve, reject) =>
      this.flushWaiters.push({ upTo: this.appendedId, resolve, reject }),
    );
  }

  /** Resolves when the queue is short enough for another command's events. */
  room(): Promise<void> {
    if (this.failure !== undefined || this.queued < this.highWaterEvents) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Resolves when nothing is being written (after a failure too): the writer is at rest. */
  async settled(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        let taken = 0;
        let events = 0;
        while (taken < this.queue.length && events < this.batchEvents) {
          events += this.queue[taken]?.count ?? 0;
          taken += 1;
        }
        const batch = joinRows(this.queue.splice(0, taken));
        this.queued -= batch.count;
        this.releaseRoom();
        await this.sink(batch);
        this.stored(batch.lastEventId);
        this.releaseFlushed();
      }
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.queue = [];
      this.queued = 0;
      this.releaseRoom();
      this.releaseFlushed();
      this.options.onFailure?.(error);
    } finally {
      this.writing = undefined;
    }
  }

  private stored(eventId: number): void {
    if (eventId <= this.writtenId) return;
    this.writtenId = eventId;
    this.options.onStored?.(eventId);
  }

  private releaseFlushed(): void {
    const waiting: typeof this.flushWaiters = [];
    for (const waiter of this.flushWaiters) {
      if (this.failure !== undefined) waiter.reject(this.failure);
      else if (this.writtenId >= waiter.upTo) waiter.resolve();
      else waiting.push(waiter);
    }
    this.flushWaiters = waiting;
  }

  private releaseRoom(): void {
    if (this.queued >= this.highWaterEvents && this.failure === undefined) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}
