/**
 * What the plots draw, as uPlot takes it (one x array, one y array per series, null where a
 * series has no point), cut at the scrubbed time and thinned to a few points per pixel: a long
 * session costs what its plot's width costs, not what its trace does.
 */
import {
  countAt,
  type MetricsSample,
  type QueueSample,
  type SequencePoint,
  type SessionTrace,
} from '../model/session-trace';

export interface PlotData {
  xs: number[];
  ys: (number | null)[][];
}

/** ssthresh before the first loss is "infinite": not drawn. */
const finite = (v: number) => (v >= Number.MAX_SAFE_INTEGER ? null : v);

function upTo<T extends { timeMs: number }>(items: readonly T[], upToMs: number | undefined): T[] {
  return items.slice(0, upToMs === undefined ? items.length : countAt(items, upToMs));
}

/** cwnd, ssthresh and the flight size (bytes) of one endpoint. */
export function congestionData(trace: SessionTrace, endpointId: string, upToMs?: number): PlotData {
  const samples = upTo(trace.metrics.get(endpointId) ?? [], upToMs);
  return {
    xs: samples.map((m) => m.timeMs),
    ys: [
      samples.map((m) => m.cwnd),
      samples.map((m) => finite(m.ssthresh)),
      samples.map((m) => m.flightSize),
    ],
  };
}

/** The smoothed RTT (none before the first measurement) and the RTO (ms) of one endpoint. */
export function rttData(trace: SessionTrace, endpointId: string, upToMs?: number): PlotData {
  const samples: MetricsSample[] = upTo(trace.metrics.get(endpointId) ?? [], upToMs);
  return {
    xs: samples.map((m) => m.timeMs),
    ys: [samples.map((m) => m.srttMs ?? null), samples.map((m) => m.rtoMs)],
  };
}

/**
 * The Stevens time-sequence graph of what one column sent: new data, data sent again, and the
 * peer's ACKs as they arrived, three series that share the x array (null where one has no point).
 */
export function sequenceData(trace: SessionTrace, column: string, upToMs?: number): PlotData {
  const points: SequencePoint[] = upTo(trace.sequence.get(column) ?? [], upToMs);
  const of = (kind: SequencePoint['kind']) => points.map((p) => (p.kind === kind ? p.value : null));
  return {
    xs: points.map((p) => p.timeMs),
    ys: [of('data'), of('retransmission'), of('ack')],
  };
}

/** One link direction's queue as each packet joined it: packets, and the wait (ms). */
export function queueData(trace: SessionTrace, link: string, upToMs?: number): PlotData {
  const samples: QueueSample[] = upTo(trace.queues.get(link) ?? [], upToMs);
  return {
    xs: samples.map((q) => q.timeMs),
    ys: [samples.map((q) => q.packets), samples.map((q) => q.delayMs)],
  };
}

/**
 * The last sample held to `untilMs` (the scrubbed time, or the trace's end): a TCB variable
 * keeps its value until it changes, so its plot runs on to now rather than stopping at the last
 * change. (Not for the queue: it is sampled when a packet joins, and drains in between.)
 */
export function heldTo(data: PlotData, untilMs: number): PlotData {
  const last = data.xs.at(-1);
  if (last === undefined || last >= untilMs) return data;
  return { xs: [...data.xs, untilMs], ys: data.ys.map((ys) => [...ys, ys.at(-1) ?? null]) };
}

/**
 * At most a few points per bucket (a pixel column): for each series its first, lowest, highest
 * and last there, so that a drop of cwnd or a burst of retransmissions survives the thinning.
 */
export function thin(data: PlotData, buckets: number): PlotData {
  const n = data.xs.length;
  if (n <= buckets * 4 || n < 2) return data;
  const x0 = data.xs[0] as number;
  const span = (data.xs[n - 1] as number) - x0 || 1;
  const keep: number[] = [];
  let start = 0;
  while (start < n) {
    const bucket = Math.min(
      buckets - 1,
      Math.floor((((data.xs[start] as number) - x0) / span) * buckets),
    );
    let end = start + 1;
    while (
      end < n &&
      Math.min(buckets - 1, Math.floor((((data.xs[end] as number) - x0) / span) * buckets)) ===
        bucket
    ) {
      end += 1;
    }
    const chosen = new Set<number>([start, end - 1]);
    for (const ys of data.ys) {
      let first = -1;
      let last = -1;
      let lo = -1;
      let hi = -1;
      for (let i = start; i < end; i++) {
        const v = ys[i];
        if (v === null || v === undefined) continue;
        if (first < 0) first = i;
        last = i;
        if (lo < 0 || v < (ys[lo] as number)) lo = i;
        if (hi < 0 || v > (ys[hi] as number)) hi = i;
      }
      for (const i of [first, last, lo, hi]) if (i >= 0) chosen.add(i);
    }
    keep.push(...[...chosen].sort((a, b) => a - b));
    start = end;
  }
  return {
    xs: keep.map((i) => data.xs[i] as number),
    ys: data.ys.map((ys) => keep.map((i) => ys[i] ?? null)),
  };
}
