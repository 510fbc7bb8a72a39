/**
 * A session's trace as the dashboard keeps it: every event in order, and what the views draw
 * from them, updated as batches arrive (replayed, then live): the segments with their ladder
 * labels and columns, each endpoint's states, timers and metrics over time. Everything can be
 * read "as of" a virtual time, so that a finished session can be scrubbed.
 */
import type { AnyTraceEvent, Endpoint } from '@tcplab/client';
import { addressKey, segmentFormatter, type SegmentEvent } from '@tcplab/client/scenarios';

/** A segment as the ladder and the detail panel show it. */
export interface LadderSegment {
  /** Its place among the session's segments (0, 1, 2, ...). */
  index: number;
  event: SegmentEvent & AnyTraceEvent;
  sentMs: number;
  /** When it reaches the receiver; undefined when the link lost it. */
  arrivesMs: number | undefined;
  from: string;
  to: string;
  /** The tcpdump-like label: `S. 0:0(0) ack 1 win 65535 <mss 1460> (retransmission)`. */
  label: string;
  /** `[dropped, fault f1]`, or '' when delivered. */
  fate: string;
  lost: boolean;
  /** seq and ack as the label counts them: from each direction's ISN. */
  relativeSeq: number;
  relativeAck: number;
}

export interface StateChange {
  timeMs: number;
  eventId: number;
  from: string;
  to: string;
  cause: string;
}

export interface TimerChange {
  timeMs: number;
  timer: string;
  action: 'armed' | 'fired' | 'cancelled';
  expiresMs: number | undefined;
}

/** A metrics event's numbers in the API's units (ms for times). */
export interface MetricsSample {
  timeMs: number;
  cwnd: number;
  ssthresh: number;
  flightSize: number;
  srttMs: number | undefined;
  rtoMs: number;
  sndWnd: number;
  rcvWnd: number;
}

/** A point of the Stevens time-sequence graph: a segment's sequence number or an ACK, relative. */
export interface SequencePoint {
  timeMs: number;
  /** data: new bytes (or SYN, FIN); retransmission: sent again; ack: the peer's cumulative ACK. */
  kind: 'data' | 'retransmission' | 'ack';
  /** Relative to the sender's ISN: its SYN is 0, its first byte 1. */
  value: number;
}

/** A rate-limited link's queue as a packet joins it. */
export interface QueueSample {
  timeMs: number;
  packets: number;
  delayMs: number;
}

const RETRANSMITTED = new Set(['retransmission', 'fast-retransmission']);

/** How many of `items` (in time order) are at or before `timeMs`. */
export function countAt(items: readonly { timeMs: number }[], timeMs: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((items[mid] as { timeMs: number }).timeMs <= timeMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The last element of `items` whose time is at or before `timeMs` (they are in time order). */
export function lastAt<T extends { timeMs: number }>(
  items: readonly T[],
  timeMs: number,
): T | undefined {
  return items[countAt(items, timeMs) - 1];
}

const num = (v: unknown) => (typeof v === 'number' ? v : 0);

export class SessionTrace {
  readonly events: AnyTraceEvent[] = [];
  readonly segments: LadderSegment[] = [];
  /** The ladder's columns, in the order endpoints were made; a stranger's address is added when seen. */
  readonly columns: string[] = [];
  readonly states = new Map<string, StateChange[]>();
  readonly timers = new Map<string, TimerChange[]>();
  readonly metrics = new Map<string, MetricsSample[]>();
  /** Column -> its time-sequence graph: what it sent, and what its peer acknowledged. */
  readonly sequence = new Map<string, SequencePoint[]>();
  /** `from > to` (addresses) -> that direction's link queue. */
  readonly queues = new Map<string, QueueSample[]>();
  /** `addr:port` -> column name. */
  private readonly names = new Map<string, string>();
  /** Endpoint id -> its column (an accepted endpoint shares its listener's). */
  readonly columnOf = new Map<string, string>();
  private format = segmentFormatter({ names: this.names, sequence: 'relative' });
  /** Bumped on every change: a view redraws when it moved. */
  version = 0;

  get lastEventId(): number {
    return this.events.at(-1)?.eventId ?? 0;
  }

  get endMs(): number {
    return this.events.at(-1)?.timeMs ?? 0;
  }

  /** Learns the endpoints' names and columns (GET endpoints). */
  setEndpoints(endpoints: readonly Endpoint[]): void {
    for (const e of endpoints) {
      const parent =
        e.parentId === undefined ? undefined : endpoints.find((p) => p.id === e.parentId);
      const column = parent?.name ?? e.name;
      this.columnOf.set(e.id, column);
      if (parent === undefined) {
        this.names.set(addressKey(e.local), column);
        if (!this.columns.includes(column)) this.columns.push(column);
      }
    }
    this.version += 1;
  }

  private column(a: { address: string; port: number }): string {
    const name = this.names.get(addressKey(a)) ?? `${a.address}.${a.port}`;
    if (!this.columns.includes(name)) this.columns.push(name);
    return name;
  }

  /** Takes a batch of events, in eventId order; ones already held are skipped. */
  ingest(batch: readonly AnyTraceEvent[]): void {
    for (const e of batch) {
      if (e.eventId <= this.lastEventId) continue;
      this.events.push(e);
      const id = e.endpointId;
      switch (e.kind) {
        case 'segment': {
          const segment = e as SegmentEvent & AnyTraceEvent;
          const formatted = this.format(segment);
          const arrivesUs = e.arrivesUs;
          this.segments.push({
            index: this.segments.length,
            event: segment,
            sentMs: e.timeMs,
            arrivesMs: typeof arrivesUs === 'number' ? arrivesUs / 1000 : undefined,
            from: this.column(segment.src),
            to: this.column(segment.dst),
            label: formatted.segment,
            fate: formatted.fate,
            lost: segment.fate === 'dropped' || segment.fate === 'corrupted',
            relativeSeq: formatted.seq,
            relativeAck: formatted.ack,
          });
          this.addSequence(
            segment,
            formatted,
            e.timeMs,
            typeof arrivesUs === 'number' ? arrivesUs / 1000 : undefined,
          );
          break;
        }
        case 'link': {
          const key = `${String(e.from)} > ${String(e.to)}`;
          const list = this.queues.get(key) ?? [];
          list.push({
            timeMs: e.timeMs,
            packets: num(e.queuePackets),
            delayMs: num(e.queueDelayUs) / 1000,
          });
          this.queues.set(key, list);
          break;
        }
        case 'state':
          if (id !== undefined) {
            const list = this.states.get(id) ?? [];
            list.push({
              timeMs: e.timeMs,
              eventId: e.eventId,
              from: String(e.from),
              to: String(e.to),
              cause: String(e.cause),
            });
            this.states.set(id, list);
          }
          break;
        case 'timer':
          if (id !== undefined) {
            const list = this.timers.get(id) ?? [];
            const expiresUs = e.expiresUs;
            list.push({
              timeMs: e.timeMs,
              timer: String(e.timer),
              action: e.action as TimerChange['action'],
              expiresMs: typeof expiresUs === 'number' ? expiresUs / 1000 : undefined,
            });
            this.timers.set(id, list);
          }
          break;
        case 'metrics':
          if (id !== undefined) {
            const list = this.metrics.get(id) ?? [];
            list.push({
              timeMs: e.timeMs,
              cwnd: num(e.cwnd),
              ssthresh: num(e.ssthresh),
              flightSize: num(e.flightSize),
              srttMs: typeof e.srttUs === 'number' ? e.srttUs / 1000 : undefined,
              rtoMs: num(e.rtoUs) / 1000,
              sndWnd: num(e.sndWnd),
              rcvWnd: num(e.rcvWnd),
            });
            this.metrics.set(id, list);
          }
          break;
        default:
          break;
      }
    }
    this.version += 1;
  }

  /**
   * A segment's points on the time-sequence graphs: its sequence number on its sender's (when
   * it carries data, SYN or FIN), its ACK on its receiver's once that one has sent. Numbers
   * are the label's, relative to each conversation's ISN (the line formatter's numbering).
   */
  private addSequence(
    segment: SegmentEvent,
    shown: { seq: number; ack: number },
    timeMs: number,
    arrivesMs: number | undefined,
  ): void {
    const from = this.column(segment.src);
    const to = this.column(segment.dst);
    if (segment.len > 0 || /[SF]/.test(segment.flags)) {
      this.pointOn(from, {
        timeMs,
        kind: RETRANSMITTED.has(String(segment.label)) ? 'retransmission' : 'data',
        value: shown.seq,
      });
    }
    // The ACK as the data's sender sees it: when it arrives there (a lost one never does).
    if (segment.flags.includes('.') && this.sequence.has(to) && arrivesMs !== undefined) {
      this.pointOn(to, { timeMs: arrivesMs, kind: 'ack', value: shown.ack });
    }
  }

  /** Adds a point in time order (ACKs arrive after later segments left, so not always last). */
  private pointOn(column: string, point: SequencePoint): void {
    const list = this.sequence.get(column) ?? [];
    let at = list.length;
    while (at > 0 && (list[at - 1] as SequencePoint).timeMs > point.timeMs) at -= 1;
    list.splice(at, 0, point);
    this.sequence.set(column, list);
  }

  /** An endpoint's state at `timeMs` (CLOSED before its first change). */
  stateAt(endpointId: string, timeMs: number): StateChange | undefined {
    return lastAt(this.states.get(endpointId) ?? [], timeMs);
  }

  /** The timers armed at `timeMs`, with when each expires. */
  timersAt(endpointId: string, timeMs: number): { timer: string; expiresMs: number }[] {
    const armed = new Map<string, number>();
    for (const t of this.timers.get(endpointId) ?? []) {
      if (t.timeMs > timeMs) break;
      if (t.action === 'armed' && t.expiresMs !== undefined) armed.set(t.timer, t.expiresMs);
      else armed.delete(t.timer);
    }
    return [...armed].map(([timer, expiresMs]) => ({ timer, expiresMs }));
  }

  metricsAt(endpointId: string, timeMs: number): MetricsSample | undefined {
    return lastAt(this.metrics.get(endpointId) ?? [], timeMs);
  }
}
