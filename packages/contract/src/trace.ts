/** The trace of a session as the REST API lists it: segments and events, paged by eventId. */
import { Type, type Static } from 'typebox';
import { SocketAddress } from './endpoints.js';

export const TraceKind = Type.Enum([
  'state',
  'segment',
  'timer',
  'metrics',
  'congestion',
  'link',
  'app',
]);

/**
 * An eventId as a client sends it back (`after`): 0 or more, and no larger than a JSON number
 * holds exactly (a session would need 2^53 events to get there).
 */
export const EventId = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 });

/** `?after=&limit=`: items with eventId > after, at most limit of them. */
export const PageQuery = Type.Object(
  {
    after: Type.Optional(EventId),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);
export type PageQuery = Static<typeof PageQuery>;

export const EventQuery = Type.Object(
  { ...PageQuery.properties, kind: Type.Optional(TraceKind) },
  { additionalProperties: false },
);
export type EventQuery = Static<typeof EventQuery>;

const U32 = Type.Integer({ minimum: 0, maximum: 0xffff_ffff });

/**
 * TCP options, each within what its field on the wire holds (RFC 9293 §3.2, RFC 7323, RFC 2018):
 * MSS 16 bits, the window scale shift one byte (a shift over 14 is taken as 14, RFC 7323 §2.3),
 * at most 4 SACK blocks (what fits 40 bytes beside nothing but NOPs; 3 beside timestamps).
 * Together they must fit the 40 bytes of options a header has (checked where they are built).
 */
export const TcpOptionsView = Type.Object({
  mss: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_535 })),
  wscale: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
  sackOk: Type.Optional(Type.Boolean()),
  sack: Type.Optional(Type.Array(Type.Object({ left: U32, right: U32 }), { maxItems: 4 })),
  ts: Type.Optional(Type.Object({ val: U32, ecr: U32 })),
});

/** The IP header's ECN field (RFC 3168 §5) as sent; absent for Not-ECT. */
export const EcnCodepoint = Type.Enum(['ect0', 'ect1', 'ce'], {
  description: 'IP ECN field: ECT(0), ECT(1) or CE (RFC 3168 §5); absent for Not-ECT',
});
export type EcnCodepoint = Static<typeof EcnCodepoint>;

/**
 * Why the endpoint sent a segment, when that is more than new data or a plain ACK: the engine
 * knows what a capture tool can only guess from the wire.
 */
export const SegmentLabel = Type.Enum(
  [
    'retransmission',
    'fast-retransmission',
    'duplicate-ack',
    'window-update',
    'window-probe',
    'keep-alive',
    'challenge-ack',
    'loss-probe',
  ],
  {
    description:
      'retransmission (SYN, data or FIN sent again), fast-retransmission (on the third duplicate ACK), ' +
      'duplicate-ack (repeating the last ACK because an out-of-order or duplicate segment arrived), ' +
      'window-update (the application read and the window opened), window-probe (zero-window probe), ' +
      'keep-alive (keep-alive probe), challenge-ack (RFC 5961), ' +
      'loss-probe (tail loss probe, RFC 8985 §7.3: new data or the last segment again)',
  },
);
export type SegmentLabel = Static<typeof SegmentLabel>;

/** A segment on a link and what became of it. */
export const Segment = Type.Object(
  {
    eventId: Type.Integer(),
    timeMs: Type.Number(),
    endpointId: Type.Optional(Type.String({ description: 'The sender, when an endpoint sent it' })),
    src: SocketAddress,
    dst: SocketAddress,
    flags: Type.String({ description: 'As tcpdump writes them: S, S., ., P., F., R' }),
    seq: Type.Integer(),
    ack: Type.Integer(),
    window: Type.Integer({ description: 'The window field as sent (before scaling)' }),
    len: Type.Integer(),
    options: TcpOptionsView,
    ecn: Type.Optional(EcnCodepoint),
    fate: Type.Enum(['delivered', 'dropped', 'duplicated', 'reordered', 'corrupted', 'marked'], {
      description: 'marked: delivered with CE, set by a full queue instead of dropping (ecnMark)',
    }),
    reason: Type.Optional(Type.String({ description: 'Why it was dropped or changed' })),
    label: Type.Optional(SegmentLabel),
  },
  {
    $id: 'Segment',
    examples: [
      {
        eventId: 4,
        timeMs: 0,
        endpointId: 'e2',
        src: { address: '10.0.0.1', port: 49152 },
        dst: { address: '10.0.0.2', port: 80 },
        flags: 'S',
        seq: 1000,
        ack: 0,
        window: 65535,
        len: 0,
        options: { mss: 1460 },
        fate: 'delivered',
      },
    ],
  },
);
export type Segment = Static<typeof Segment>;

/** Any trace event: its kind decides the other fields (DESIGN.md, the engine in one paragraph). */
export const TraceEvent = Type.Object(
  {
    eventId: Type.Integer(),
    timeMs: Type.Number(),
    kind: TraceKind,
    endpointId: Type.Optional(Type.String()),
  },
  {
    $id: 'TraceEvent',
    additionalProperties: true,
    examples: [
      {
        eventId: 1,
        timeMs: 0,
        kind: 'state',
        endpointId: 'e1',
        from: 'CLOSED',
        to: 'LISTEN',
        cause: 'user LISTEN',
      },
    ],
  },
);
export type TraceEvent = Static<typeof TraceEvent>;

export const SegmentList = Type.Object(
  {
    items: Type.Array(Segment),
    nextAfter: Type.Integer({ description: 'Pass as `after` for the next page' }),
  },
  { $id: 'SegmentList' },
);
export type SegmentList = Static<typeof SegmentList>;

export const EventList = Type.Object(
  { items: Type.Array(TraceEvent), nextAfter: Type.Integer() },
  { $id: 'EventList' },
);
export type EventList = Static<typeof EventList>;
