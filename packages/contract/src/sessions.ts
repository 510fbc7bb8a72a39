/**
 * Sessions, their link settings and endpoint defaults, and the clock (REST v1). Times in the
 * API are milliseconds of virtual time.
 */
import { Type, type Static } from 'typebox';

const Rate = (description: string) =>
  Type.Number({ minimum: 0, maximum: 1, description: `${description} (0 to 1)` });

/** Bursty loss as a Gilbert-Elliott channel. */
export const BurstLoss = Type.Object(
  {
    p: Rate('P(good -> bad) per packet'),
    r: Rate('P(bad -> good) per packet'),
    lossGood: Type.Optional(Rate('Loss rate in the good state (default 0)')),
    lossBad: Type.Optional(Rate('Loss rate in the bad state (default 1)')),
  },
  { additionalProperties: false },
);

/** One direction of a link (or both, where a session sets its default). All fields optional. */
export const LinkSettings = Type.Object(
  {
    delayMs: Type.Optional(
      Type.Number({ minimum: 0, maximum: 60_000, description: 'One-way delay' }),
    ),
    jitterMs: Type.Optional(Type.Number({ minimum: 0, maximum: 60_000 })),
    rateMbps: Type.Optional(
      // 0, or at least 1 kb/s: a rate near zero would put a packet's arrival past any time the
      // trace can hold.
      Type.Union([Type.Literal(0), Type.Number({ minimum: 0.001, maximum: 100_000 })], {
        description: 'Link rate; 0 = unlimited, else from 0.001 (1 kb/s)',
      }),
    ),
    queuePackets: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100_000, description: 'Drop-tail queue at the rate' }),
    ),
    lossRate: Type.Optional(Rate('Random loss')),
    burstLoss: Type.Optional(BurstLoss),
    duplicateRate: Type.Optional(Rate('Duplication')),
    reorderRate: Type.Optional(Rate('Reordering')),
    corruptRate: Type.Optional(Rate('Corruption (the receiver drops the segment)')),
    mtu: Type.Optional(Type.Integer({ minimum: 68, maximum: 65_535 })),
    ecnMark: Type.Optional(
      Type.Boolean({
        description:
          'ECN marking (RFC 3168 §5): an ECN-capable packet that finds the queue full is marked CE ' +
          'and queued instead of dropped (fate marked); Not-ECT packets are still dropped (default false)',
      }),
    ),
  },
  { $id: 'LinkSettings', additionalProperties: false, examples: [{ delayMs: 10, lossRate: 0.01 }] },
);
export type LinkSettings = Static<typeof LinkSettings>;

/** Endpoint options (DESIGN.md); omitted ones take the documented defaults. */
export const EndpointOptions = Type.Object(
  {
    isn: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 0xffff_ffff,
        description: 'Fixed initial sequence number',
      }),
    ),
    mss: Type.Optional(Type.Integer({ minimum: 64, maximum: 65_495 })),
    sndBuffer: Type.Optional(Type.Integer({ minimum: 1, maximum: 1 << 30 })),
    rcvBuffer: Type.Optional(Type.Integer({ minimum: 1, maximum: 1 << 30 })),
    windowScale: Type.Optional(
      Type.Union([Type.Literal(false), Type.Integer({ minimum: 0, maximum: 14 })]),
    ),
    sack: Type.Optional(Type.Boolean()),
    timestamps: Type.Optional(Type.Boolean()),
    nagle: Type.Optional(Type.Boolean()),
    cork: Type.Optional(
      Type.Boolean({
        description:
          'TCP_CORK: a partial segment waits for more data (sent when uncorked, or one RTO later with nothing in flight)',
      }),
    ),
    pushFlag: Type.Optional(
      Type.Union([Type.Literal('rfc'), Type.Literal('linux')], {
        description:
          'Where PSH is set: on the segment that empties the queue (rfc), or as Linux sets it (linux)',
      }),
    ),
    userTimeoutMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 3_600_000,
        description:
          'TCP_USER_TIMEOUT: abort with ETIMEDOUT when data stays unacknowledged this long; 0 = off',
      }),
    ),
    delayedAckMs: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 500, description: '0 turns delayed ACK off' }),
    ),
    ackPolicy: Type.Optional(
      Type.Enum(['rfc', 'linux'], {
        description:
          "rfc: every second full segment or after delayedAckMs; linux: Linux's quick-ACK " +
          'mode at the start and after idle, adaptive delay (40-200 ms), interactive mode',
      }),
    ),
    congestion: Type.Optional(
      Type.Union([
        Type.Literal('newreno'),
        Type.Literal('reno'),
        Type.Literal('tahoe'),
        Type.Literal('cubic'),
      ]),
    ),
    slowStartExit: Type.Optional(
      Type.Union([Type.Literal('none'), Type.Literal('hystart'), Type.Literal('hystart++')], {
        description:
          "Leave slow start before a loss: 'hystart' (Linux CUBIC's ACK-train and delay " +
          "detection) or 'hystart++' (RFC 9406, with Conservative Slow Start); default 'none'",
      }),
    ),
    initialWindow: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: 'Segments' }),
    ),
    rttEstimator: Type.Optional(
      Type.Enum(['rfc6298', 'linux'], {
        description:
          'rfc6298: RTO = SRTT + 4 RTTVAR within [rtoMinMs, rtoMaxMs]; linux: the minimum ' +
          'bounds the variance term (a 10 ms path: 210 ms), as tcp_rtt_estimator does',
      }),
    ),
    cwndAccounting: Type.Optional(
      Type.Union([Type.Literal('rfc'), Type.Literal('linux')], {
        description:
          "How cwnd grows: 'rfc' in bytes by RFC 5681 (and RFC 9438 for CUBIC), 'linux' in whole packets as Linux does",
      }),
    ),
    slowStartAfterIdle: Type.Optional(
      Type.Boolean({
        description:
          'Restart from min(IW, cwnd) after an idle RTO (RFC 5681 §4.1); Linux: tcp_slow_start_after_idle',
      }),
    ),
    rtoInitialMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000 })),
    rtoMinMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000 })),
    rtoMaxMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600_000 })),
    synRetries: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    dataRetries: Type.Optional(Type.Integer({ minimum: 0, maximum: 100 })),
    mslMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
    rfc1337: Type.Optional(Type.Boolean()),
    keepalive: Type.Optional(
      Type.Union([
        Type.Literal(false),
        Type.Object(
          {
            idleMs: Type.Integer({ minimum: 1, maximum: 86_400_000 }),
            intervalMs: Type.Integer({ minimum: 1, maximum: 86_400_000 }),
            probes: Type.Integer({ minimum: 1, maximum: 100 }),
          },
          { additionalProperties: false },
        ),
      ]),
    ),
    edgeRules: Type.Optional(
      Type.Enum(['rfc', 'linux'], {
        description:
          "Edge cases where Linux's code departs from RFC 9293's text: an ACK of unsent data " +
          'dropped without an ACK, TS.Recent updated only after a valid ACK, RST,ACK with ' +
          'timestamps on abort, a FIN on the last unsent data segment',
      }),
    ),
    backlog: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
    challengeAckLimit: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
    rack: Type.Optional(
      Type.Boolean({
        description:
          'RACK loss detection with SACK (RFC 8985 §6; Linux tcp_recovery=1). Default false',
      }),
    ),
    tlp: Type.Optional(
      Type.Boolean({
        description:
          'Tail loss probe with SACK (RFC 8985 §7; Linux tcp_early_retrans=3). Default false',
      }),
    ),
    prr: Type.Optional(
      Type.Boolean({
        description:
          'Proportional rate reduction in SACK recovery (RFC 6937 PRR-SSRB, as Linux). Default false',
      }),
    ),
    dsack: Type.Optional(
      Type.Boolean({
        description: 'D-SACK, sent and read (RFC 2883, RFC 3708; Linux tcp_dsack=1). Default false',
      }),
    ),
    ecn: Type.Optional(
      Type.Enum(['off', 'on', 'passive'], {
        description:
          "ECN (RFC 3168), as Linux's net.ipv4.tcp_ecn: off (0); on (1), ask in our SYN and accept " +
          "the peer's request; passive (2, Linux's default), accept only (default off)",
      }),
    ),
    pacing: Type.Optional(
      Type.Boolean({
        description:
          'Pacing as Linux does it under the fq qdisc: TSO-sized packets spread at the pacing ' +
          'rate after the first 10 segments (default off)',
      }),
    ),
    pacingSsRatio: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000,
        description:
          'Pacing rate in slow start (cwnd < ssthresh/2), in percent of cwnd per SRTT ' +
          '(tcp_pacing_ss_ratio, 200)',
      }),
    ),
    pacingCaRatio: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000,
        description:
          'Pacing rate otherwise, in percent of cwnd per SRTT (tcp_pacing_ca_ratio, 120)',
      }),
    ),
    minTsoSegs: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 64,
        description: 'The fewest segments a TSO packet is sized for (tcp_min_tso_segs, 2)',
      }),
    ),
  },
  { $id: 'EndpointOptions', additionalProperties: false, examples: [{ sack: true, mss: 1460 }] },
);
export type EndpointOptions = Static<typeof EndpointOptions>;

export const Profile = Type.Enum(['rfc', 'linux'], {
  description:
    "Where endpoint options start from: rfc, the RFCs' own defaults (the lessons); linux, " +
    'a Linux 6.x host (CUBIC, SACK, timestamps, initial window 10, quick ACKs, 200 ms RTO ' +
    'minimum, ...). Options set beside it still apply on top.',
});

/** Virtual seconds per wall second of a realtime session. */
const Speed = Type.Number({
  minimum: 0.01,
  maximum: 100,
  description: 'Virtual time per wall time',
});

export const SessionId = Type.String({ format: 'uuid', description: 'A session id' });

/** The path parameters of every /v1/sessions/:sid route. */
export const SessionParams = Type.Object({ sid: SessionId }, { additionalProperties: false });

/** POST /v1/sessions */
export const CreateSession = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    seed: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 0xffff_ffff,
        description: 'PRNG seed; random if left out',
      }),
    ),
    clock: Type.Optional(
      Type.Object(
        {
          mode: Type.Enum(['manual', 'realtime'], {
            description:
              'manual: the clock moves only when told; realtime: it runs at speed x wall time ' +
              'once played (sessions start paused)',
          }),
          speed: Type.Optional(Speed),
        },
        { additionalProperties: false },
      ),
    ),
    profile: Type.Optional(Profile),
    defaults: Type.Optional(EndpointOptions),
    link: Type.Optional(LinkSettings),
  },
  {
    $id: 'CreateSession',
    additionalProperties: false,
    examples: [{ name: 'handshake', seed: 42, link: { delayMs: 10 } }],
  },
);
export type CreateSession = Static<typeof CreateSession>;

/** PATCH /v1/sessions/:sid */
export const UpdateSession = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    link: Type.Optional(LinkSettings),
  },
  { $id: 'UpdateSession', additionalProperties: false, examples: [{ link: { lossRate: 0.05 } }] },
);
export type UpdateSession = Static<typeof UpdateSession>;

export const Session = Type.Object(
  {
    id: SessionId,
    name: Type.String(),
    seed: Type.Integer(),
    clock: Type.Object({
      mode: Type.Enum(['manual', 'realtime']),
      nowMs: Type.Number({ description: 'Virtual time now' }),
      speed: Type.Number({ description: 'Virtual time per wall time (realtime)' }),
      running: Type.Boolean({ description: 'A realtime clock is playing' }),
    }),
    link: LinkSettings,
    profile: Profile,
    defaults: EndpointOptions,
    lastEventId: Type.Integer({ description: 'The last trace event so far (0 before any)' }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  {
    $id: 'Session',
    examples: [
      {
        id: '0b6f4c1e-1111-4c4c-8c8c-000000000001',
        name: 'handshake',
        seed: 42,
        clock: { mode: 'manual', nowMs: 0, speed: 1, running: false },
        link: { delayMs: 10 },
        profile: 'rfc',
        defaults: {},
        lastEventId: 0,
        createdAt: '2026-11-22T09:00:00.000Z',
      },
    ],
  },
);
export type Session = Static<typeof Session>;

export const SessionList = Type.Object({ items: Type.Array(Session) }, { $id: 'SessionList' });
export type SessionList = Static<typeof SessionList>;

/** POST /v1/sessions/:sid/clock */
export const ClockAction = Type.Union(
  [
    Type.Object(
      { action: Type.Literal('step', { description: 'Run the next event' }) },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        action: Type.Literal('advance', { description: 'Run every event up to now + ms' }),
        ms: Type.Number({
          minimum: 0,
          maximum: 86_400_000,
          description: '0 runs what is due now without moving the clock',
        }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        action: Type.Literal('run', { description: 'Run until no event is left, within maxMs' }),
        untilIdle: Type.Literal(true),
        maxMs: Type.Number({
          exclusiveMinimum: 0,
          maximum: 86_400_000,
          description: 'The bound: a run never goes further than now + maxMs',
        }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        action: Type.Literal('play', { description: 'Run a realtime clock at speed x wall time' }),
        speed: Type.Optional(Speed),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      { action: Type.Literal('pause', { description: 'Stop a realtime clock where it is' }) },
      { additionalProperties: false },
    ),
  ],
  {
    $id: 'ClockAction',
    examples: [
      { action: 'step' },
      { action: 'advance', ms: 100 },
      { action: 'run', untilIdle: true, maxMs: 60_000 },
    ],
  },
);
export type ClockAction = Static<typeof ClockAction>;

export const ClockResult = Type.Object(
  {
    nowMs: Type.Number(),
    events: Type.Integer({ description: 'Trace events this move produced' }),
    idle: Type.Boolean({ description: 'No event is left to run' }),
    limited: Type.Boolean({
      description:
        'The move stopped before its time at the events one request may produce (maxEventsPerRequest); move again to go on',
    }),
    nextEventMs: Type.Optional(Type.Number({ description: 'When the next event is due' })),
  },
  {
    $id: 'ClockResult',
    examples: [{ nowMs: 30, events: 12, idle: false, limited: false, nextEventMs: 1030 }],
  },
);
export type ClockResult = Static<typeof ClockResult>;
