/** Fault rules and hand-made segments (REST v1): mistakes on the wire, on purpose. */
import { Type, type Static } from 'typebox';
import { EndpointId, SocketAddress } from './endpoints.js';
import { SessionId } from './sessions.js';
import { EcnCodepoint, TcpOptionsView } from './trace.js';

const FLAGS_PATTERN = '^(none|[SFRPUEWC]*\\.?)$';
const Flags = Type.String({
  pattern: FLAGS_PATTERN,
  maxLength: 9,
  description: 'Exact tcpdump flags: S, S., ., P., F., R, R. ...',
});

/** An endpoint id (its address and port when the rule is made) or an address and port. */
const Party = Type.Union([EndpointId, SocketAddress]);

export const CreateFault = Type.Object(
  {
    match: Type.Object(
      {
        from: Type.Optional(Party),
        to: Type.Optional(Party),
        flags: Type.Optional(Flags),
        nth: Type.Optional(
          Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Start at the nth match' }),
        ),
        count: Type.Optional(
          Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Matches affected (1)' }),
        ),
      },
      { additionalProperties: false },
    ),
    action: Type.Enum(['drop', 'delay', 'duplicate', 'corrupt']),
    delayMs: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 3_600_000, description: 'For delay' }),
    ),
  },
  {
    $id: 'CreateFault',
    additionalProperties: false,
    examples: [{ match: { from: 'e2', flags: 'F.' }, action: 'drop' }],
  },
);
export type CreateFault = Static<typeof CreateFault>;

export const FaultId = Type.String({
  maxLength: 10,
  pattern: '^f[1-9][0-9]{0,8}$',
  description: 'f1, f2, ...',
});

export const FaultParams = Type.Object(
  { sid: SessionId, fid: FaultId },
  { additionalProperties: false },
);

export const Fault = Type.Object(
  {
    id: FaultId,
    match: Type.Object({
      from: Type.Optional(SocketAddress),
      to: Type.Optional(SocketAddress),
      flags: Type.Optional(Type.String()),
      nth: Type.Optional(Type.Integer()),
      count: Type.Optional(Type.Integer()),
    }),
    action: Type.Enum(['drop', 'delay', 'duplicate', 'corrupt']),
    delayMs: Type.Optional(Type.Number()),
    seen: Type.Integer({ description: 'Matching segments so far' }),
    applied: Type.Integer({ description: 'Segments affected so far' }),
  },
  {
    $id: 'Fault',
    examples: [
      {
        id: 'f1',
        match: { from: { address: '10.0.0.1', port: 49152 }, flags: 'F.' },
        action: 'drop',
        seen: 0,
        applied: 0,
      },
    ],
  },
);
export type Fault = Static<typeof Fault>;

export const FaultList = Type.Object({ items: Type.Array(Fault) }, { $id: 'FaultList' });
export type FaultList = Static<typeof FaultList>;

/** POST /v1/sessions/:sid/inject: a segment sent as a peer would (packetdrill's `<`). */
export const Inject = Type.Object(
  {
    src: SocketAddress,
    dst: SocketAddress,
    flags: Flags,
    seq: Type.Integer({ minimum: 0, maximum: 0xffff_ffff }),
    ack: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffff_ffff, default: 0 })),
    window: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_535, default: 65_535 })),
    data: Type.Optional(Type.String({ maxLength: 65_000, description: 'Payload as UTF-8 text' })),
    base64: Type.Optional(
      Type.String({
        maxLength: 87_000,
        pattern: '^[A-Za-z0-9+/]*={0,2}$',
        description: 'Payload as base64 (instead of data)',
      }),
    ),
    options: Type.Optional(TcpOptionsView),
    ecn: Type.Optional(EcnCodepoint),
  },
  {
    $id: 'Inject',
    additionalProperties: false,
    examples: [
      {
        src: { address: '10.0.0.9', port: 4444 },
        dst: { address: '10.0.0.2', port: 80 },
        flags: 'S',
        seq: 0,
        options: { mss: 1460 },
      },
    ],
  },
);
export type Inject = Static<typeof Inject>;

/** 202 to an inject: the segment is on the link; `events` it produced so far. */
export const InjectResult = Type.Object(
  { events: Type.Integer({ description: 'Trace events the injection produced so far' }) },
  { $id: 'InjectResult', examples: [{ events: 1 }] },
);
export type InjectResult = Static<typeof InjectResult>;
