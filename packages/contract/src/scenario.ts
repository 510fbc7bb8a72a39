/**
 * Scenario files (YAML or JSON): a session's settings, named endpoints, the steps to run and
 * what must be seen. `tcplab run` plays them in-process or against a service; the scenario
 * library is written in this format. docs/SCENARIOS.md describes every field with examples.
 */
import { Type, type Static, type TObject, type TOptional } from 'typebox';
import { EndpointOptionsChange, SocketAddress, TcpState, TimerKind } from './endpoints.js';
import { EndpointOptions, LinkSettings, Profile } from './sessions.js';
import { EcnCodepoint, TcpOptionsView } from './trace.js';

/**
 * The session's own schemas without their $id: a scenario holds several of each (the session's
 * defaults and every endpoint's options), and a JSON schema may define an $id once.
 */
const Options = Type.Object(EndpointOptions.properties, { additionalProperties: false });
const Link = Type.Object(LinkSettings.properties, { additionalProperties: false });
const OptionsChange = Type.Object(EndpointOptionsChange.properties, {
  additionalProperties: false,
  minProperties: 1,
});

/** A scenario's name for an endpoint: letters, digits, `-` and `_`. */
const NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_-]{0,39}$';
export const EndpointName = Type.String({
  pattern: NAME_PATTERN,
  description: 'A name the scenario gives an endpoint, e.g. client',
});

/**
 * An endpoint of the scenario: a declared one (`server`) or the nth connection a listener
 * accepted (`server#1`, `server#2`, ...).
 */
export const EndpointRef = Type.String({
  pattern: NAME_PATTERN.replace('$', '(#[1-9][0-9]{0,3})?$'),
  description: 'An endpoint name, or name#n for the nth connection that listener accepted',
});

/** A peer: a named endpoint's address and port, or any address and port. */
const Party = Type.Union([EndpointRef, SocketAddress]);

const FLAGS = Type.String({
  pattern: '^(none|[SFRPUEWC]*\\.?)$',
  maxLength: 9,
  description: 'tcpdump flags: S, S., ., P., F., R, R. ...',
});

/** A refusal the step expects instead of success: its problem code (EPIPE, ENOTCONN, ...). */
const ExpectedError = Type.String({
  pattern: '^[A-Z][A-Z_]*$',
  description: 'The step must be refused with this code, e.g. EPIPE',
});

const Ms = (description: string) => Type.Number({ exclusiveMinimum: 0, description });

/** A user call that names only its endpoint: `close: client`, or with an expected refusal. */
const EndpointCall = Type.Union([
  EndpointRef,
  Type.Object(
    { endpoint: EndpointRef, error: Type.Optional(ExpectedError) },
    { additionalProperties: false },
  ),
]);

/** A number to equal, or bounds it must lie within (both inclusive). */
export const Bound = Type.Union([
  Type.Number(),
  Type.Object(
    { min: Type.Optional(Type.Number()), max: Type.Optional(Type.Number()) },
    { additionalProperties: false, minProperties: 1 },
  ),
]);
export type Bound = Static<typeof Bound>;

/** An object of optional bounds, one per key. */
function Bounds<K extends string>(
  keys: readonly K[],
  description: string,
): TObject<Record<K, TOptional<typeof Bound>>> {
  const properties = Object.fromEntries(keys.map((k) => [k, Type.Optional(Bound)]));
  return Type.Object(properties, {
    additionalProperties: false,
    description,
  }) as unknown as TObject<Record<K, TOptional<typeof Bound>>>;
}

export const COUNTER_NAMES = [
  'segmentsSent',
  'segmentsReceived',
  'retransmissions',
  'duplicateAcks',
  'bytesSent',
  'bytesDelivered',
  'bytesRead',
] as const;
export const TCB_FIELDS = [
  'iss',
  'irs',
  'sndUna',
  'sndNxt',
  'sndWnd',
  'rcvNxt',
  'rcvWnd',
  'mss',
  'cwnd',
  'ssthresh',
  'flightSize',
  'srttMs',
  'rttvarMs',
  'rtoMs',
] as const;
/** The metrics an endpoint reports over time (its `metrics` events), in the API's units. */
export const METRIC_NAMES = [
  'cwnd',
  'ssthresh',
  'flightSize',
  'srttMs',
  'rttvarMs',
  'rtoMs',
  'sndWnd',
  'rcvWnd',
] as const;
export const BUFFER_FIELDS = ['send', 'unsent', 'received', 'outOfOrder'] as const;

/** What one endpoint must show. Every field is optional; each one given is checked. */
export const EndpointExpectation = Type.Object(
  {
    state: Type.Optional(TcpState),
    states: Type.Optional(
      Type.Array(TcpState, {
        description:
          'Every state the endpoint entered so far, in order (CLOSED at creation not counted)',
      }),
    ),
    phases: Type.Optional(
      Type.Array(
        Type.Enum([
          'slow-start',
          'conservative-slow-start',
          'congestion-avoidance',
          'fast-recovery',
          'loss-recovery',
          'cwr',
        ]),
        {
          description:
            'Every congestion-control phase the endpoint entered so far, in order (slow start at the start not counted)',
        },
      ),
    ),
    error: Type.Optional(
      Type.Enum(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'none'], {
        description: 'The error the connection failed with, or none',
      }),
    ),
    counters: Type.Optional(Bounds(COUNTER_NAMES, 'Counters now (GET endpoint counters)')),
    tcb: Type.Optional(Bounds(TCB_FIELDS, 'TCB fields now (GET endpoint tcb)')),
    highest: Type.Optional(Bounds(METRIC_NAMES, 'The highest value a metric has reported so far')),
    lowest: Type.Optional(Bounds(METRIC_NAMES, 'The lowest value a metric has reported so far')),
    buffered: Type.Optional(Bounds(BUFFER_FIELDS, 'Bytes in the buffers now')),
    timers: Type.Optional(
      Type.Array(TimerKind, {
        description: 'The timers armed now, in any order (an empty list: none)',
      }),
    ),
    received: Type.Optional(
      Type.String({ description: 'All the text the application has read so far (receive steps)' }),
    ),
  },
  { additionalProperties: false },
);
export type EndpointExpectation = Static<typeof EndpointExpectation>;

/**
 * One expected segment: a tcpdump-like line, `client > server: S 0:0(0) win 65535 <mss 1460>`,
 * or in YAML the same as a map of one entry (`- client > server: S 0:0(0) ...`). `*` matches
 * anything within a line; a line `...` matches any number of segments. `@1000 client > server:
 * ...` also requires the segment to be sent at 1000 ms. A segment the link did not deliver
 * ends with its fate: `[dropped, fault f1]` (with the name the scenario gave the fault).
 */
export const SegmentLine = Type.Union([
  Type.String({ minLength: 1 }),
  Type.Record(Type.String({ minLength: 1 }), Type.String(), { minProperties: 1, maxProperties: 1 }),
]);
export type SegmentLine = Static<typeof SegmentLine>;

export const Expectations = Type.Object(
  {
    endpoints: Type.Optional(Type.Record(EndpointRef, EndpointExpectation)),
    segments: Type.Optional(
      Type.Array(SegmentLine, {
        description: 'Every segment so far, in order, as tcpdump-like lines',
      }),
    ),
    sequence: Type.Optional(
      Type.Enum(['relative', 'absolute'], {
        description:
          'How segment lines number seq and ack: from each side\u2019s ISN (relative, the default, as tcpdump and Wireshark do) or as on the wire',
      }),
    ),
  },
  { additionalProperties: false },
);
export type Expectations = Static<typeof Expectations>;

/** The value each kind of step takes, by the step's one key. */
export const STEP_SCHEMAS = {
  /** A line for whoever reads the run: the teacher's narration. Does nothing. */
  note: Type.String({ minLength: 1 }),
  listen: EndpointCall,
  connect: Type.Object(
    { endpoint: EndpointRef, to: Party, error: Type.Optional(ExpectedError) },
    { additionalProperties: false },
  ),
  send: Type.Object(
    {
      endpoint: EndpointRef,
      data: Type.Optional(Type.String({ description: 'UTF-8 text' })),
      base64: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$' })),
      bytes: Type.Optional(Type.Integer({ minimum: 1, description: 'This many generated bytes' })),
      error: Type.Optional(ExpectedError),
    },
    { additionalProperties: false },
  ),
  receive: Type.Union([
    EndpointRef,
    Type.Object(
      {
        endpoint: EndpointRef,
        max: Type.Optional(Type.Integer({ minimum: 1 })),
        expect: Type.Optional(Type.String({ description: 'The text this read must return' })),
        error: Type.Optional(ExpectedError),
      },
      { additionalProperties: false },
    ),
  ]),
  shutdown: EndpointCall,
  close: EndpointCall,
  abort: EndpointCall,
  /** setsockopt() on a live endpoint (PATCH .../endpoints/:eid): `{nagle: false}` is TCP_NODELAY. */
  setOptions: Type.Object(
    { endpoint: EndpointRef, options: OptionsChange, error: Type.Optional(ExpectedError) },
    { additionalProperties: false },
  ),
  fault: Type.Object(
    {
      name: Type.Optional(EndpointName),
      match: Type.Object(
        {
          from: Type.Optional(Party),
          to: Type.Optional(Party),
          flags: Type.Optional(FLAGS),
          nth: Type.Optional(Type.Integer({ minimum: 1 })),
          count: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
      action: Type.Enum(['drop', 'delay', 'duplicate', 'corrupt']),
      delayMs: Type.Optional(Ms('For delay')),
    },
    { additionalProperties: false },
  ),
  removeFault: EndpointName,
  inject: Type.Object(
    {
      src: Party,
      dst: Party,
      flags: FLAGS,
      seq: Type.Integer({ minimum: 0, maximum: 0xffff_ffff }),
      ack: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffff_ffff })),
      window: Type.Optional(Type.Integer({ minimum: 0, maximum: 65_535 })),
      data: Type.Optional(Type.String()),
      base64: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$' })),
      options: Type.Optional(TcpOptionsView),
      ecn: Type.Optional(EcnCodepoint),
    },
    { additionalProperties: false },
  ),
  link: Link,
  step: Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'Run this many events' }),
  advance: Ms('Run every event in the next ms'),
  at: Type.Number({ minimum: 0, description: 'Run every event up to this virtual time (ms)' }),
  run: Ms('Run until nothing is left to do, for at most this many ms'),
  expect: Expectations,
} as const;

export type StepKind = keyof typeof STEP_SCHEMAS;
export const STEP_KINDS = Object.keys(STEP_SCHEMAS) as StepKind[];

/** A step of one kind: an object whose one key names the kind. */
const step = <K extends StepKind>(kind: K) =>
  Type.Object({ [kind]: STEP_SCHEMAS[kind] } as { [P in K]: (typeof STEP_SCHEMAS)[K] }, {
    additionalProperties: false,
  });

export const ScenarioStep = Type.Union(
  [
    step('note'),
    step('listen'),
    step('connect'),
    step('send'),
    step('receive'),
    step('shutdown'),
    step('close'),
    step('abort'),
    step('setOptions'),
    step('fault'),
    step('removeFault'),
    step('inject'),
    step('link'),
    step('step'),
    step('advance'),
    step('at'),
    step('run'),
    step('expect'),
  ],
  { description: 'One step: an object with exactly one key naming what it does' },
);
/** A step: an object with exactly one of the keys of STEP_SCHEMAS. */
export type ScenarioStep = Static<typeof ScenarioStep>;

export const ScenarioEndpoint = Type.Object(
  {
    address: Type.String({ format: 'ipv4' }),
    port: Type.Integer({ minimum: 1, maximum: 65_535 }),
    profile: Type.Optional(Profile),
    options: Type.Optional(Options),
  },
  { additionalProperties: false },
);
export type ScenarioEndpoint = Static<typeof ScenarioEndpoint>;

export const Scenario = Type.Object(
  {
    name: Type.String({
      maxLength: 64,
      pattern: '^[a-z0-9][a-z0-9-]{0,63}$',
      description: 'A short id: lowercase letters, digits and dashes',
    }),
    title: Type.String({ minLength: 1, maxLength: 120 }),
    description: Type.String({
      minLength: 1,
      description: 'For the teacher: what happens, what to watch, and why it matters',
    }),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffff_ffff, default: 1 })),
    link: Type.Optional(Link),
    profile: Type.Optional(Profile),
    defaults: Type.Optional(Options),
    endpoints: Type.Record(EndpointName, ScenarioEndpoint, { minProperties: 1 }),
    steps: Type.Array(ScenarioStep),
    expect: Type.Optional(Expectations),
  },
  { $id: 'Scenario', additionalProperties: false },
);
export type Scenario = Static<typeof Scenario>;

/** A lesson of the library, as GET /v1/scenarios lists it. */
export const ScenarioSummary = Type.Object(
  {
    name: Scenario.properties.name,
    title: Type.String(),
    description: Type.String({ description: 'What happens, what to watch, and why it matters' }),
    tags: Type.Array(Type.String()),
  },
  {
    $id: 'ScenarioSummary',
    examples: [
      {
        name: 'handshake',
        title: 'Three-way handshake',
        description: 'The client opens a connection with SYN ...',
        tags: ['connection setup', 'states'],
      },
    ],
  },
);
export type ScenarioSummary = Static<typeof ScenarioSummary>;

export const ScenarioList = Type.Object(
  { items: Type.Array(ScenarioSummary) },
  { $id: 'ScenarioList' },
);
export type ScenarioList = Static<typeof ScenarioList>;

/** The path parameters of GET /v1/scenarios/:name. */
export const ScenarioParams = Type.Object(
  { name: Scenario.properties.name },
  { additionalProperties: false },
);
