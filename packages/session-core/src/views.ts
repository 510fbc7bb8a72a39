/** The engine's state and the stored trace as the REST contract shows them (times in ms). */
import type {
  Endpoint as EndpointView,
  Segment as SegmentView,
  TraceEvent as TraceEventView,
} from '@tcplab/contract';
import type {
  EcnCodepoint,
  PcapSegment,
  SegmentLabel,
  Simulation,
  TraceEvent,
} from '@tcplab/engine';

const ms = (us: number) => us / 1000;

export function endpointView(sim: Simulation, id: string): EndpointView {
  const s = sim.status(id);
  return {
    id: s.id,
    name: s.name,
    ...(s.parentId === undefined ? {} : { parentId: s.parentId }),
    state: s.state,
    local: s.local,
    ...(s.remote === undefined ? {} : { remote: s.remote }),
    ...(s.error === undefined ? {} : { error: s.error }),
    tcb: {
      ...s.tcb,
      cwnd: s.metrics.cwnd,
      ssthresh: s.metrics.ssthresh,
      flightSize: s.metrics.flightSize,
      ...(s.metrics.srttUs === undefined ? {} : { srttMs: ms(s.metrics.srttUs) }),
      ...(s.metrics.rttvarUs === undefined ? {} : { rttvarMs: ms(s.metrics.rttvarUs) }),
      rtoMs: ms(s.metrics.rtoUs),
    },
    timers: s.timers.map((t) => ({ kind: t.kind, expiresMs: ms(t.expiresUs) })),
    counters: s.counters,
    tcpInfo: s.tcpInfo,
    buffered: s.buffered,
  };
}

/** A `segments` row. */
export interface SegmentRow {
  eventId: bigint;
  timeUs: bigint;
  endpointId: string | null;
  srcAddress: string;
  srcPort: number;
  dstAddress: string;
  dstPort: number;
  flags: string;
  seq: bigint;
  ack: bigint;
  len: number;
  window: number;
  options: unknown;
  fate: SegmentView['fate'];
  reason: string | null;
  label: string | null;
  /** The IP ECN field as sent (ect0, ect1, ce); null for Not-ECT. */
  ecn: string | null;
  arrivesUs: bigint | null;
}

/** The header fields of a row of `segments`; each view adds options (typed its way) and fate. */
function wireFields(row: SegmentRow) {
  return {
    src: { address: row.srcAddress, port: row.srcPort },
    dst: { address: row.dstAddress, port: row.dstPort },
    flags: row.flags,
    seq: Number(row.seq),
    ack: Number(row.ack),
    window: row.window,
    len: row.len,
  };
}

/** A row of `segments` as the segment list shows it. */
export function segmentView(row: SegmentRow): SegmentView {
  return {
    eventId: Number(row.eventId),
    timeMs: Number(row.timeUs) / 1000,
    ...(row.endpointId === null ? {} : { endpointId: row.endpointId }),
    ...wireFields(row),
    options: row.options as SegmentView['options'],
    ...(row.ecn === null ? {} : { ecn: row.ecn as EcnCodepoint }),
    fate: row.fate,
    ...(row.reason === null ? {} : { reason: row.reason }),
    ...(row.label === null ? {} : { label: row.label as SegmentLabel }),
  };
}

/** A row of `segments` as the pcapng export writes it. */
export function pcapSegment(row: SegmentRow): PcapSegment {
  return {
    timeUs: Number(row.timeUs),
    ...wireFields(row),
    options: row.options as PcapSegment['options'],
    ecn: (row.ecn ?? undefined) as EcnCodepoint | undefined,
    fate: row.fate,
    reason: row.reason ?? undefined,
  };
}

/** A row of `segments` as the event list shows it: the engine's segment event. */
export function segmentEventView(row: SegmentRow): TraceEventView {
  const { eventId, timeMs, ...segment } = segmentView(row);
  return {
    eventId,
    timeMs,
    kind: 'segment',
    ...segment,
    ...(row.arrivesUs === null ? {} : { arrivesUs: Number(row.arrivesUs) }),
  };
}

/** A row of `trace_events` as the API lists it: id, time, kind, endpoint, then the payload. */
export function eventView(row: {
  eventId: bigint;
  timeUs: bigint;
  kind: string;
  endpointId: string | null;
  payload: unknown;
}): TraceEventView {
  return {
    eventId: Number(row.eventId),
    timeMs: Number(row.timeUs) / 1000,
    kind: row.kind as TraceEventView['kind'],
    ...(row.endpointId === null ? {} : { endpointId: row.endpointId }),
    ...(row.payload as Record<string, unknown>),
  };
}

/**
 * An engine trace event as the event list shows it once stored: built through the same views
 * as the stored rows, so that a live event and its replay read the same.
 */
export function liveEventView(e: TraceEvent): TraceEventView {
  if (e.kind === 'segment') return segmentEventView(segmentRow(e));
  const { eventId, timeUs, kind, endpointId, ...payload } = e as typeof e & {
    endpointId?: string;
  };
  return eventView({
    eventId: BigInt(eventId),
    timeUs: BigInt(timeUs),
    kind,
    endpointId: endpointId ?? null,
    // As stored: JSON has no undefined fields.
    payload: JSON.parse(JSON.stringify(payload)) as unknown,
  });
}

/** An engine segment event as the row `segments` stores for it. */
export function segmentRow(e: Extract<TraceEvent, { kind: 'segment' }>): SegmentRow {
  return {
    eventId: BigInt(e.eventId),
    timeUs: BigInt(e.timeUs),
    endpointId: e.endpointId ?? null,
    srcAddress: e.src.address,
    srcPort: e.src.port,
    dstAddress: e.dst.address,
    dstPort: e.dst.port,
    flags: e.flags,
    seq: BigInt(e.seq),
    ack: BigInt(e.ack),
    len: e.len,
    window: e.window,
    options: e.options,
    fate: e.fate,
    reason: e.reason ?? null,
    label: e.label ?? null,
    ecn: e.ecn ?? null,
    arrivesUs: e.arrivesUs === undefined ? null : BigInt(e.arrivesUs),
  };
}
