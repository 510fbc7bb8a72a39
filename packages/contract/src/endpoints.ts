/** Endpoints and their user calls (REST v1). */
import { Type, type Static } from 'typebox';
import { EndpointOptions, Profile, SessionId } from './sessions.js';

export const EndpointId = Type.String({
  maxLength: 10,
  pattern: '^e[1-9][0-9]{0,8}$',
  description: 'An endpoint id, named by the engine in order of creation: e1, e2, ...',
});

/** The path parameters of every /v1/sessions/:sid/endpoints/:eid route. */
export const EndpointParams = Type.Object(
  { sid: SessionId, eid: EndpointId },
  { additionalProperties: false },
);

const Address = Type.String({
  format: 'ipv4',
  description: 'A host address (IPv4, dotted quad)',
  examples: ['10.0.0.1'],
});
const Port = Type.Integer({ minimum: 1, maximum: 65_535 });

export const SocketAddress = Type.Object(
  { address: Address, port: Port },
  { additionalProperties: false },
);
export type SocketAddress = Static<typeof SocketAddress>;

/** POST /v1/sessions/:sid/endpoints */
export const CreateEndpoint = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    address: Address,
    port: Port,
    profile: Type.Optional(Profile),
    options: Type.Optional(EndpointOptions),
  },
  {
    $id: 'CreateEndpoint',
    additionalProperties: false,
    examples: [{ name: 'server', address: '10.0.0.2', port: 80 }],
  },
);
export type CreateEndpoint = Static<typeof CreateEndpoint>;

/**
 * The options PATCH .../endpoints/:eid changes, as setsockopt() does. At any time: Nagle
 * (TCP_NODELAY), TCP_CORK, where PSH goes, TCP_USER_TIMEOUT, the buffers (SO_SNDBUF,
 * SO_RCVBUF) and keep-alives (SO_KEEPALIVE, TCP_KEEPIDLE, ...); the engine's LIVE_OPTIONS
 * (tcp/live-options.ts) are these. Until the endpoint connects (CLOSED, or LISTEN for the
 * connections it will accept): the MSS, window scaling, SACK, timestamps and the ISN, which go
 * in the SYNs. Any other option is chosen when the endpoint is made: naming one is a 400.
 */
export const CHANGEABLE_OPTIONS = [
  'nagle',
  'cork',
  'pushFlag',
  'userTimeoutMs',
  'sndBuffer',
  'rcvBuffer',
  'keepalive',
  'mss',
  'windowScale',
  'sack',
  'timestamps',
  'isn',
] as const;

/** PATCH /v1/sessions/:sid/endpoints/:eid: the options to change, and only those. */
export const EndpointOptionsChange = Type.Pick(EndpointOptions, CHANGEABLE_OPTIONS, {
  $id: 'EndpointOptionsChange',
  additionalProperties: false,
  minProperties: 1,
  description:
    'The options to change, from now on in virtual time. nagle, cork, pushFlag, ' +
    'userTimeoutMs, sndBuffer, rcvBuffer and keepalive change at any time; mss, windowScale, ' +
    'sack, timestamps and isn only while the endpoint is CLOSED or LISTEN (409 EINVAL once it ' +
    'connects). A listener passes its options to the connections it accepts from then on.',
  examples: [
    { nagle: false },
    { sndBuffer: 262_144, rcvBuffer: 262_144 },
    { keepalive: { idleMs: 10_000, intervalMs: 1000, probes: 3 } },
  ],
});
export type EndpointOptionsChange = Static<typeof EndpointOptionsChange>;

/** The states of RFC 9293 §3.3.2, by their RFC names. */
export const TcpState = Type.Enum(
  [
    'CLOSED',
    'LISTEN',
    'SYN-SENT',
    'SYN-RECEIVED',
    'ESTABLISHED',
    'FIN-WAIT-1',
    'FIN-WAIT-2',
    'CLOSE-WAIT',
    'CLOSING',
    'LAST-ACK',
    'TIME-WAIT',
  ],
  { description: 'RFC 9293 state names' },
);

/** An endpoint: its state, its TCB (RFC 9293 §3.3.1), timers and buffers. */
/**
 * Linux's tcp_info (struct tcp_info, what `ss -ti` prints) for an endpoint, with Linux's
 * field names and units, to put beside a real host's.
 */
/** The engine's timers (its TimerKind), as endpoint views and scenario checks name them. */
export const TimerKind = Type.Enum([
  'time-wait',
  'retransmit',
  'persist',
  'delayed-ack',
  'keepalive',
  'reorder',
  'loss-probe',
  'pacing',
]);

export const TcpInfo = Type.Object(
  {
    tcpi_state: Type.Integer({
      description: 'The state as Linux numbers it (1 ESTABLISHED ... 11 CLOSING)',
    }),
    tcpi_ca_state: Type.Integer({ description: '0 Open, 1 Disorder, 2 CWR, 3 Recovery, 4 Loss' }),
    tcpi_retransmits: Type.Integer({
      description: 'Retransmissions of the oldest segment since it was last acknowledged',
    }),
    tcpi_probes: Type.Integer({ description: 'Zero-window probes sent without an answer' }),
    tcpi_backoff: Type.Integer({ description: 'RTO backoffs' }),
    tcpi_options: Type.Integer({
      description: 'TCPI_OPT_* bits: 1 timestamps, 2 SACK, 4 window scaling, 8 ECN',
    }),
    tcpi_snd_wscale: Type.Integer({ description: 'The window scale shift of the peer' }),
    tcpi_rcv_wscale: Type.Integer({ description: 'Our window scale shift' }),
    tcpi_rto: Type.Integer({ description: 'Retransmission timeout (µs)' }),
    tcpi_ato: Type.Integer({ description: 'Delayed-ACK timeout (µs)' }),
    tcpi_snd_mss: Type.Integer({ description: 'Send MSS (bytes)' }),
    tcpi_rcv_mss: Type.Integer({ description: 'Largest segment received (bytes)' }),
    tcpi_unacked: Type.Integer({ description: 'Segments in flight' }),
    tcpi_sacked: Type.Integer({ description: 'Segments SACKed' }),
    tcpi_lost: Type.Integer({ description: 'Segments presumed lost' }),
    tcpi_retrans: Type.Integer({ description: 'Retransmitted segments not yet acknowledged' }),
    tcpi_last_data_sent: Type.Integer({ description: 'Milliseconds since data was last sent' }),
    tcpi_last_data_recv: Type.Integer({ description: 'Milliseconds since data was last received' }),
    tcpi_last_ack_recv: Type.Integer({
      description: 'Milliseconds since an ACK was last received',
    }),
    tcpi_pmtu: Type.Integer({ description: 'Path MTU (bytes)' }),
    tcpi_rtt: Type.Integer({ description: 'Smoothed RTT (µs)' }),
    tcpi_rttvar: Type.Integer({ description: 'RTT variation (µs)' }),
    tcpi_snd_ssthresh: Type.Integer({
      description: 'Slow-start threshold (segments; 2147483647 until set)',
    }),
    tcpi_snd_cwnd: Type.Integer({ description: 'Congestion window (segments)' }),
    tcpi_advmss: Type.Integer({ description: 'The MSS we announced (bytes)' }),
    tcpi_reordering: Type.Integer({ description: 'Reordering degree (segments)' }),
    tcpi_total_retrans: Type.Integer({ description: 'Segments retransmitted in all' }),
    tcpi_bytes_acked: Type.Integer({ description: 'Bytes acknowledged by the peer' }),
    tcpi_bytes_received: Type.Integer({ description: 'Bytes received in order' }),
    tcpi_segs_out: Type.Integer({ description: 'Segments sent' }),
    tcpi_segs_in: Type.Integer({ description: 'Segments received' }),
    tcpi_notsent_bytes: Type.Integer({ description: 'Bytes queued and not yet sent' }),
    tcpi_min_rtt: Type.Integer({
      description: 'Smallest RTT seen (µs; 4294967295 before the first sample)',
    }),
    tcpi_data_segs_out: Type.Integer({ description: 'Segments sent with data' }),
    tcpi_delivery_rate: Type.Integer({
      description: 'Delivery rate of the latest sample (bytes/s)',
    }),
    tcpi_delivered: Type.Integer({ description: 'Segments delivered' }),
    tcpi_bytes_sent: Type.Integer({ description: 'Bytes sent, retransmissions included' }),
    tcpi_bytes_retrans: Type.Integer({ description: 'Bytes retransmitted' }),
    tcpi_dsack_dups: Type.Integer({
      description: 'Segments the peer reported as duplicates (D-SACK)',
    }),
    tcpi_reord_seen: Type.Integer({ description: 'Reorderings seen' }),
    tcpi_snd_wnd: Type.Integer({ description: 'The window the peer offers (bytes)' }),
    tcpi_rcv_wnd: Type.Integer({ description: 'Our advertised window (bytes)' }),
  },
  { $id: 'TcpInfo' },
);
export type TcpInfo = Static<typeof TcpInfo>;

export const Endpoint = Type.Object(
  {
    id: EndpointId,
    name: Type.String(),
    parentId: Type.Optional(EndpointId),
    state: TcpState,
    local: SocketAddress,
    remote: Type.Optional(SocketAddress),
    error: Type.Optional(
      Type.String({ description: 'The error the connection failed with, e.g. ECONNREFUSED' }),
    ),
    tcb: Type.Object({
      iss: Type.Integer(),
      irs: Type.Integer(),
      sndUna: Type.Integer(),
      sndNxt: Type.Integer(),
      sndWnd: Type.Integer(),
      rcvNxt: Type.Integer(),
      rcvWnd: Type.Integer(),
      mss: Type.Integer({ description: 'The send MSS in use' }),
      cwnd: Type.Integer(),
      ssthresh: Type.Integer(),
      flightSize: Type.Integer(),
      srttMs: Type.Optional(Type.Number()),
      rttvarMs: Type.Optional(Type.Number()),
      rtoMs: Type.Number(),
    }),
    timers: Type.Array(
      Type.Object({
        kind: TimerKind,
        expiresMs: Type.Number(),
      }),
    ),
    counters: Type.Object({
      segmentsSent: Type.Integer(),
      segmentsReceived: Type.Integer(),
      retransmissions: Type.Integer({ description: 'SYN, data or FIN segments sent again' }),
      duplicateAcks: Type.Integer({ description: 'Duplicate ACKs received (RFC 5681 §2)' }),
      bytesSent: Type.Integer({ description: 'New data bytes sent, each once' }),
      bytesDelivered: Type.Integer({ description: 'Bytes received in order' }),
      bytesRead: Type.Integer({ description: 'Bytes the application read' }),
    }),
    tcpInfo: TcpInfo,
    options: Type.Object(EndpointOptions.properties, {
      description:
        'The options in force: those given at creation or changed since over the defaults',
    }),
    buffered: Type.Object({
      send: Type.Integer({ description: 'Queued to send and not yet acknowledged' }),
      unsent: Type.Integer({ description: 'Of those, not yet sent' }),
      received: Type.Integer({ description: 'Received in order, not yet read' }),
      outOfOrder: Type.Integer({ description: 'Received out of order' }),
    }),
  },
  {
    $id: 'Endpoint',
    examples: [
      {
        id: 'e1',
        name: 'client',
        state: 'ESTABLISHED',
        local: { address: '10.0.0.1', port: 49152 },
        remote: { address: '10.0.0.2', port: 80 },
        tcb: {
          iss: 1000,
          irs: 5000,
          sndUna: 1001,
          sndNxt: 1001,
          sndWnd: 65535,
          rcvNxt: 5001,
          rcvWnd: 65535,
          mss: 1460,
          cwnd: 4380,
          ssthresh: 9007199254740991,
          flightSize: 0,
          srttMs: 20,
          rttvarMs: 10,
          rtoMs: 1000,
        },
        timers: [],
        counters: {
          segmentsSent: 2,
          segmentsReceived: 1,
          retransmissions: 0,
          duplicateAcks: 0,
          bytesSent: 0,
          bytesDelivered: 0,
          bytesRead: 0,
        },
        options: { mss: 1460, sndBuffer: 65536, rcvBuffer: 65535, nagle: true },
        buffered: { send: 0, unsent: 0, received: 0, outOfOrder: 0 },
      },
    ],
  },
);
export type Endpoint = Static<typeof Endpoint>;

export const EndpointList = Type.Object({ items: Type.Array(Endpoint) }, { $id: 'EndpointList' });
export type EndpointList = Static<typeof EndpointList>;

/** POST .../connect */
export const Connect = Type.Object(
  { remote: SocketAddress },
  {
    $id: 'Connect',
    additionalProperties: false,
    examples: [{ remote: { address: '10.0.0.2', port: 80 } }],
  },
);
export type Connect = Static<typeof Connect>;

/** MSG_MORE: more data follows at once, so a partial segment waits (no PSH at its end). */
const More = Type.Optional(
  Type.Boolean({ description: 'MSG_MORE: more data follows at once; a partial segment waits' }),
);

/** POST .../send: text, base64, or n generated bytes, each with an optional `more`. */
export const Send = Type.Union(
  [
    Type.Object(
      { data: Type.String({ maxLength: 1 << 20, description: 'UTF-8 text' }), more: More },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        base64: Type.String({
          maxLength: 1_400_000,
          pattern: '^[A-Za-z0-9+/]*={0,2}$',
          description: 'Bytes in base64',
        }),
        more: More,
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        bytes: Type.Integer({
          minimum: 1,
          maximum: 1 << 30,
          description: 'This many generated bytes (a repeating a-z pattern), for bulk transfers',
        }),
        more: More,
      },
      { additionalProperties: false },
    ),
  ],
  {
    $id: 'Send',
    examples: [{ data: 'hello' }, { bytes: 1_000_000 }, { data: 'GET ', more: true }],
  },
);
export type Send = Static<typeof Send>;

export const SendResult = Type.Object(
  { accepted: Type.Integer({ description: 'Bytes taken into the send buffer' }) },
  { $id: 'SendResult', examples: [{ accepted: 5 }] },
);
export type SendResult = Static<typeof SendResult>;

/** POST .../receive */
export const Receive = Type.Object(
  { max: Type.Optional(Type.Integer({ minimum: 1, maximum: 1 << 20 })) },
  { $id: 'Receive', additionalProperties: false, examples: [{}, { max: 100 }] },
);
export type Receive = Static<typeof Receive>;

export const ReceiveResult = Type.Object(
  {
    bytes: Type.Integer(),
    data: Type.String({ description: 'The bytes as UTF-8 text (invalid sequences replaced)' }),
    base64: Type.String(),
    eof: Type.Boolean({ description: "The peer's FIN has been read: no more data will come" }),
  },
  { $id: 'ReceiveResult', examples: [{ bytes: 5, data: 'hello', base64: 'aGVsbG8=', eof: false }] },
);
export type ReceiveResult = Static<typeof ReceiveResult>;
