/**
 * One TCP endpoint: its TCB (RFC 9293 §3.3.1), the user calls (§3.10.1-3.10.6), timers
 * (§3.10.8) and the output routine. Segment arrival is in input.ts.
 *
 * Invariants, checked by the tests after every event:
 * - SND.UNA =< SND.NXT, and SND.NXT - SND.UNA never exceeds what was ever queued;
 * - the send queue holds exactly the bytes from `sndQueueSeq` on that are not yet acknowledged;
 * - RCV.WND is never negative and the advertised right edge RCV.NXT + RCV.WND never moves left
 *   (RFC 9293 §3.8.6.2.2: no window shrinking);
 * - every state change goes through `setState`, which traces `from => to` with its cause;
 * - time is an argument: nothing here reads a clock or draws randomness on its own.
 */
import {
  metricsEvent,
  type AppError,
  type Metrics,
  type SegmentLabel,
  type TimerKind,
  type TraceBody,
} from '../trace/events.js';
import { Flag } from '../wire/flags.js';
import type { SackBlock, TcpOptions } from '../wire/options.js';
import type { TcpSegment } from '../wire/segment.js';
import { seq, seqAdd, seqDiff, seqGt, seqLe, seqLt, type SeqNum } from '../wire/seq.js';
import { EMPTY_BYTES, outOfOrderRanges, type OutOfOrder } from './buffers.js';
import { ByteQueue } from './byte-queue.js';
import { base64ToBytes, bytesToBase64 } from '../sim/bytes.js';
import {
  createController,
  initialWindowBytes,
  newController,
  type AckInfo,
  type CongestionAction,
  type CongestionController,
  type CongestionState,
  type SendPass,
} from './congestion/index.js';
import { withDsack } from './dsack.js';
import {
  deferEntryRetransmit,
  LossRecovery,
  onPhaseChange,
  onTransmit,
  rackActive,
  sendWithRack,
  takeEntryRetransmit,
  type LossRecoveryState,
} from './loss-recovery.js';
import { lossState, type LossState } from './loss-state.js';
import {
  ecnActiveOpen,
  ecnOnSend,
  ecnPhaseChanged,
  ecnSynArrives,
  ecnSynFlags,
  noEcn,
  type EcnState,
} from './ecn.js';
import { holdsPartial } from './cork.js';
import { changeOptions } from './live-options.js';
import { endPacket, holds, noPacing, releaseUs, type PacingState } from './pacing.js';
import { resolveOptions, type EndpointOptions } from './options.js';
import {
  copyPush,
  endsAtMark,
  linuxPush,
  noPush,
  observe,
  recordWrite,
  type PushState,
  type SentData,
} from './push.js';
import { backOff, initialRtt, type RttLimits, type RttState } from './rtt.js';
import {
  armTransmitTimer,
  onLossProbeTimeout,
  onReorderTimeout,
  onRetransmitTimeout as recoveryOnRto,
} from './recovery-timers.js';
import { Scoreboard, type ScoreboardState } from './scoreboard.js';
import {
  deliveryOf,
  keepsSegments,
  SentSegments,
  type Delivery,
  type SentSegment,
  type SentStretch,
} from './sent-segments.js';
import { carriesOurData, type TcpState } from './state.js';
import {
  initialAckState,
  onAckSent,
  onDataSent,
  onDelayedAckFired,
  type AckContext,
  type LinuxAckState,
} from './ack-policy.js';
import { noStats, tcpInfo, type CaState, type TcpInfo, type TcpStats } from './tcp-info.js';
import type { TsoInput } from './tso.js';
import {
  clampProbe,
  clampRto,
  keepaliveExhausted,
  noteSent,
  noUserTimeout,
  probingEnded,
  probingTimedOut,
  retransmissionsTimedOut,
  type UserTimeoutState,
} from './user-timeout.js';

/** The timestamps option with its two NOPs of padding: 12 bytes in every segment. */
const TIMESTAMP_OPTION_SPACE = 12;
/** RFC 9293 §3.7.1: the send MSS when the peer sent no MSS option. */
export const DEFAULT_PEER_MSS = 536;
/** The largest window the 16-bit field carries (window scaling is negotiated in a later step). */
export const MAX_WINDOW = 65535;

export interface Endpoint {
  address: number;
  port: number;
}

/** What a connection needs from the world around it. */
export interface ConnectionEnv {
  /** Sends `segment` from this connection's local endpoint to its remote one. */
  transmit(connection: Connection, segment: TcpSegment, label: SegmentLabel | undefined): void;
  trace(body: TraceBody): void;
}

export type TimerTable = Partial<Record<TimerKind, number>>;

/** Everything a connection holds, as plain JSON (byte arrays in base64). */
export interface ConnectionState {
  id: string;
  local: Endpoint;
  options: EndpointOptions;
  state: TcpState;
  remote: Endpoint | undefined;
  passive: boolean;
  error: AppError | undefined;
  iss: number;
  sndUna: number;
  sndNxt: number;
  sndMax: number;
  sndWnd: number;
  sndWl1: number;
  sndWl2: number;
  maxSndWnd: number;
  sndMss: number;
  irs: number;
  rcvNxt: number;
  rcvWnd: number;
  sndShift: number;
  rcvShift: number;
  windowScaling: boolean;
  timestamps: boolean;
  sackPermitted: boolean;
  lastOutOfOrderSeq: number | undefined;
  scoreboard: ScoreboardState;
  tsRecent: number | undefined;
  lastAckSent: number;
  sndQueue: string;
  sndQueueSeq: number;
  finQueued: boolean;
  appClosed: boolean;
  readable: string;
  outOfOrder: { seq: number; data: string }[];
  peerFinished: boolean;
  timers: TimerTable;
  rtt: RttState;
  rttProbe: { end: number; sentUs: number } | undefined;
  /**
   * The record of segments in flight (sent-segments.ts) when the connection keeps one without
   * loss recovery (whose state holds it then); empty otherwise. Absent in snapshots taken
   * before it was kept; stretches in those taken before loss recovery came.
   */
  sendTimes?: (SentSegment | SentStretch)[];
  retries: number;
  persistBackoff: number;
  keepaliveProbes: number;
  lastReceivedUs: number;
  lastDataSentUs: number;
  unackedSegments: number;
  ackPending: boolean;
  challengeAcks: { windowStartUs: number; count: number };
  congestion: CongestionState;
  ecn: EcnState;
  lastMetrics: Metrics | undefined;
  counters: Counters;
  /** Absent in snapshots taken before tcp_info was reported. */
  stats?: TcpStats;
  /** Linux's ACK policy's state; absent in older snapshots. */
  ackState?: LinuxAckState;
  /** Absent in states saved before PSH marks and the user timeout existed. */
  push?: PushState;
  userTimeout?: UserTimeoutState;
  /** RACK, TLP, PRR and D-SACK state; absent when those options are all off. */
  recovery?: LossRecoveryState;
  /** The fq release gate (pacing.ts); only with `pacing` on. */
  pacing?: PacingState;
}

/** What an endpoint has done so far: the numbers a lab asks about. */
export interface Counters {
  segmentsSent: number;
  segmentsReceived: number;
  /** Segments that carried sequence space (SYN, data, FIN) sent before: every retransmission. */
  retransmissions: number;
  /** Duplicate ACKs received (RFC 5681 §2). */
  duplicateAcks: number;
  /** New data bytes sent (each byte once, retransmissions not counted again). */
  bytesSent: number;
  /** Bytes received in order and handed to the receive buffer. */
  bytesDelivered: number;
  /** Bytes the application has read. */
  bytesRead: number;
}

function noCounters(): Counters {
  return {
    segmentsSent: 0,
    segmentsReceived: 0,
    retransmissions: 0,
    duplicateAcks: 0,
    bytesSent: 0,
    bytesDelivered: 0,
    bytesRead: 0,
  };
}

function noTimers(): Record<TimerKind, number | undefined> {
  return {
    'time-wait': undefined,
    retransmit: undefined,
    persist: undefined,
    'delayed-ack': undefined,
    keepalive: undefined,
    reorder: undefined,
    'loss-probe': undefined,
    pacing: undefined,
  };
}

const TIMER_ORDER: TimerKind[] = [
  'time-wait',
  'retransmit',
  'persist',
  'delayed-ack',
  'keepalive',
  'reorder',
  'loss-probe',
  'pacing',
];

export class Connection {
  state: TcpState = 'CLOSED';
  remote: Endpoint | undefined;
  /** True for an endpoint created by a listener for an incoming SYN. */
  passive = false;
  /** Set once the connection failed; the user's next call reports it. */
  error: AppError | undefined;

  // Send sequence variables (RFC 9293 §3.3.1).
  iss: SeqNum = seq(0);
  sndUna: SeqNum = seq(0);
  /**
   * SND.NXT: the next sequence number to transmit. After a retransmission timeout it goes back
   * to SND.UNA while `sndMax` keeps the highest ever sent (BSD's snd_max), so that ACKs for data
   * already sent stay acceptable and pure ACKs never carry a sequence number the peer is past.
   */
  sndNxt: SeqNum = seq(0);
  sndMax: SeqNum = seq(0);
  sndWnd = 0;
  sndWl1: SeqNum = seq(0);
  sndWl2: SeqNum = seq(0);
  /** Largest window the peer ever offered (RFC 5961 §5.2 MAX.SND.WND). */
  maxSndWnd = 0;
  /** Send MSS: the peer's MSS option (or 536), capped by ours. */
  sndMss: number;

  // Receive sequence variables.
  irs: SeqNum = seq(0);
  rcvNxt: SeqNum = seq(0);
  rcvWnd: number;
  /** Window scale shifts (RFC 7323 §2.3): applied to the peer's window field, and to ours. */
  sndShift = 0;
  rcvShift = 0;
  /** Both sides sent the window scale option in their SYNs. */
  windowScaling = false;
  /** Both SYNs carried timestamps (RFC 7323 §3.2): every non-RST segment carries them. */
  timestamps = false;
  /** Both SYNs carried SACK-permitted (RFC 2018 §2). */
  sackPermitted = false;
  /** Where the latest out-of-order segment began: its block is reported first (RFC 2018 §4). */
  lastOutOfOrderSeq: SeqNum | undefined;
  /** What the peer SACKed of our data, and HighRxt (RFC 6675). */
  scoreboard = new Scoreboard();
  /** TS.Recent (RFC 7323 §4.3): the timestamp to echo. */
  tsRecent: number | undefined;
  /** Last.ACK.sent (RFC 7323 §4.3). */
  lastAckSent: SeqNum = seq(0);

  /** Bytes queued by the application, starting at sequence number `sndQueueSeq`. */
  sndQueue = new ByteQueue();
  sndQueueSeq: SeqNum = seq(0);
  /** The application called CLOSE: a FIN follows the queued data. */
  finQueued = false;
  /** The application will read no more (close, not shutdown): new data is answered with RST. */
  appClosed = false;

  /** In-order bytes waiting for the application. */
  readable = new ByteQueue();
  outOfOrder: OutOfOrder[] = [];
  /** The peer's FIN was received: after `readable`, the application reads end of stream. */
  peerFinished = false;

  /** Every kind always present (undefined when not armed): a fixed shape, fast to read. */
  timers: Record<TimerKind, number | undefined> = noTimers();
  rtt: RttState;
  /** The segment being timed for an RTT sample: its end and when it was sent (Karn: first sends only). */
  rttProbe: { end: SeqNum; sentUs: number } | undefined;
  /** Retransmissions of the current oldest segment (SYN, data or FIN). */
  retries = 0;
  /** Backoff of the persist timer (zero-window probes). */
  persistBackoff = 0;
  /** When new data was last sent (restart after idle, RFC 5681 §4.1). */
  lastDataSentUs = 0;
  /** Keep-alive probes sent without an answer. */
  keepaliveProbes = 0;
  /** When a segment last arrived (keep-alive idle time). */
  lastReceivedUs = 0;

  /** Set by the persist timer on a small open window: the next output ignores sender SWS. */
  swsOverride = false;
  /** Full-sized segments received and not yet acknowledged (RFC 9293 §3.8.6.3, SHLD-19). */
  unackedSegments = 0;
  ackPending = false;
  /** Why the pending ACK is due, when it is a duplicate ACK or a window update. */
  ackLabel: SegmentLabel | undefined;
  /**
   * Tahoe's answer to the third duplicate ACK is to go back to SND.UNA: the retransmission
   * that follows is the fast one. Set and used within one arrival.
   */
  fastRetransmitDue = false;
  /** Challenge ACKs sent in the current second (RFC 5961 §7). */
  challengeAcks = { windowStartUs: 0, count: 0 };
  /** Where PSH marks end queued data (push.ts). */
  push: PushState = noPush();
  /** When the user timeout's clocks started (user-timeout.ts). */
  userTimeout: UserTimeoutState = noUserTimeout();
  /** Set for one output pass: the application pushes, past a cork (live-options.ts). */
  pushNow = false;
  /** Set for one output pass after a segment arrived: data held by `more` may go. */
  private arrived = false;
  /** During an output pass with `pushFlag: 'linux'`, the segments wait here for their PSH. */
  private held:
    { segment: TcpSegment; label: SegmentLabel | undefined; data?: SentData }[] | undefined;

  congestion: CongestionController;
  /**
   * The record of segments in flight (sent-segments.ts), kept only when an option reads it
   * (`keepsSegments`): loss recovery's own when the connection has that, else its own.
   */
  segments: SentSegments | undefined;
  /** ECN (RFC 3168): agreed or not, the receiver's echo, the sender's pending CWR. */
  ecn: EcnState = noEcn();
  /** RACK, TLP, PRR and D-SACK (loss-recovery.ts), when any of those options is on. */
  recovery: LossRecovery | undefined;
  /** A duplicate segment arrived: the next ACK reports it first (RFC 2883 §4). Within one event. */
  dsackBlock: SackBlock | undefined;
  /** The metrics last reported, to report only changes. */
  lastMetrics: Metrics | undefined;
  counters: Counters = noCounters();
  /** Figures only tcp_info reports. */
  stats: TcpStats = noStats();
  /** Quick-ACK mode, ato and interactive mode, for the `linux` ACK policy. */
  ackState: LinuxAckState = initialAckState();
  /** When the next data packet may leave, with `pacing` on (pacing.ts). */
  pacer: PacingState = noPacing();

  constructor(
    readonly id: string,
    readonly local: Endpoint,
    /** Replaced, never changed in place: endpoints share option objects. */
    public options: EndpointOptions,
    private readonly env: ConnectionEnv,
  ) {
    this.sndMss = options.mss;
    this.rcvWnd = Math.min(options.rcvBuffer, MAX_WINDOW);
    this.rtt = initialRtt(this.rttLimits());
    this.congestion = newController(
      options.congestion,
      initialWindowBytes(options.initialWindow, options.mss),
      options.mss,
      { slowStartExit: options.slowStartExit, accounting: options.cwndAccounting },
    );
    this.recovery = LossRecovery.create(options);
    this.segments =
      this.recovery?.segments ?? (keepsSegments(options) ? new SentSegments() : undefined);
  }

  /** The whole connection as JSON-safe data. */
  toState(): ConnectionState {
    return {
      id: this.id,
      local: { ...this.local },
      options: { ...this.options },
      state: this.state,
      remote: this.remote && { ...this.remote },
      passive: this.passive,
      error: this.error,
      iss: this.iss,
      sndUna: this.sndUna,
      sndNxt: this.sndNxt,
      sndMax: this.sndMax,
      sndWnd: this.sndWnd,
      sndWl1: this.sndWl1,
      sndWl2: this.sndWl2,
      maxSndWnd: this.maxSndWnd,
      sndMss: this.sndMss,
      irs: this.irs,
      rcvNxt: this.rcvNxt,
      rcvWnd: this.rcvWnd,
      sndShift: this.sndShift,
      rcvShift: this.rcvShift,
      windowScaling: this.windowScaling,
      timestamps: this.timestamps,
      sackPermitted: this.sackPermitted,
      lastOutOfOrderSeq: this.lastOutOfOrderSeq,
      scoreboard: this.scoreboard.toState(),
      tsRecent: this.tsRecent,
      lastAckSent: this.lastAckSent,
      sndQueue: bytesToBase64(this.sndQueue.toBytes()),
      sndQueueSeq: this.sndQueueSeq,
      finQueued: this.finQueued,
      appClosed: this.appClosed,
      readable: bytesToBase64(this.readable.toBytes()),
      outOfOrder: this.outOfOrder.map((o) => ({ seq: o.seq, data: bytesToBase64(o.data) })),
      peerFinished: this.peerFinished,
      timers: this.armedTimers(),
      rtt: { ...this.rtt },
      rttProbe: this.rttProbe && { ...this.rttProbe },
      sendTimes: this.recovery === undefined ? (this.segments?.toState() ?? []) : [],
      retries: this.retries,
      persistBackoff: this.persistBackoff,
      keepaliveProbes: this.keepaliveProbes,
      lastReceivedUs: this.lastReceivedUs,
      lastDataSentUs: this.lastDataSentUs,
      unackedSegments: this.unackedSegments,
      ackPending: this.ackPending,
      challengeAcks: { ...this.challengeAcks },
      congestion: this.congestion.state(),
      ecn: { ...this.ecn },
      lastMetrics: this.lastMetrics && { ...this.lastMetrics },
      counters: { ...this.counters },
      stats: { ...this.stats },
      ackState: { ...this.ackState },
      push: copyPush(this.push),
      userTimeout: { ...this.userTimeout },
      ...(this.recovery !== undefined && { recovery: this.recovery.toState() }),
      ...(this.options.pacing && { pacing: { ...this.pacer } }),
    };
  }

  /** Rebuilds a connection from `toState()`'s output. */
  static fromState(s: ConnectionState, env: ConnectionEnv): Connection {
    // Options added since the state was saved take their defaults.
    const c = new Connection(s.id, s.local, resolveOptions(s.options), env);
    c.state = s.state;
    c.remote = s.remote;
    c.passive = s.passive;
    c.error = s.error;
    c.iss = seq(s.iss);
    c.sndUna = seq(s.sndUna);
    c.sndNxt = seq(s.sndNxt);
    c.sndMax = seq(s.sndMax);
    c.sndWnd = s.sndWnd;
    c.sndWl1 = seq(s.sndWl1);
    c.sndWl2 = seq(s.sndWl2);
    c.maxSndWnd = s.maxSndWnd;
    c.sndMss = s.sndMss;
    c.irs = seq(s.irs);
    c.rcvNxt = seq(s.rcvNxt);
    c.rcvWnd = s.rcvWnd;
    c.sndShift = s.sndShift;
    c.rcvShift = s.rcvShift;
    c.windowScaling = s.windowScaling;
    c.timestamps = s.timestamps;
    c.sackPermitted = s.sackPermitted;
    c.lastOutOfOrderSeq = s.lastOutOfOrderSeq === undefined ? undefined : seq(s.lastOutOfOrderSeq);
    c.scoreboard = Scoreboard.from({
      sacked: s.scoreboard.sacked.map((b) => ({ left: seq(b.left), right: seq(b.right) })),
      highRxt: s.scoreboard.highRxt === undefined ? undefined : seq(s.scoreboard.highRxt),
    });
    c.tsRecent = s.tsRecent;
    c.lastAckSent = seq(s.lastAckSent);
    c.sndQueue = ByteQueue.from(base64ToBytes(s.sndQueue));
    c.sndQueueSeq = seq(s.sndQueueSeq);
    c.finQueued = s.finQueued;
    c.appClosed = s.appClosed;
    c.readable = ByteQueue.from(base64ToBytes(s.readable));
    c.outOfOrder = s.outOfOrder.map((o) => ({ seq: seq(o.seq), data: base64ToBytes(o.data) }));
    c.peerFinished = s.peerFinished;
    c.timers = { ...noTimers(), ...s.timers };
    c.rtt = { ...s.rtt };
    c.rttProbe = s.rttProbe && { end: seq(s.rttProbe.end), sentUs: s.rttProbe.sentUs };
    c.retries = s.retries;
    c.persistBackoff = s.persistBackoff;
    c.keepaliveProbes = s.keepaliveProbes;
    c.lastReceivedUs = s.lastReceivedUs;
    c.lastDataSentUs = s.lastDataSentUs;
    c.unackedSegments = s.unackedSegments;
    c.ackPending = s.ackPending;
    c.challengeAcks = { ...s.challengeAcks };
    c.congestion = createController(s.congestion);
    c.ecn = { ...noEcn(), ...s.ecn }; // states saved before ECN existed have none
    c.lastMetrics = s.lastMetrics && { ...s.lastMetrics };
    c.counters = { ...s.counters };
    c.stats = { ...noStats(), ...s.stats };
    c.ackState = { ...initialAckState(), ...s.ackState };
    c.push = s.push === undefined ? noPush(c.sndQueueSeq) : copyPush(s.push);
    c.userTimeout = { ...noUserTimeout(), ...s.userTimeout };
    if (s.recovery !== undefined) c.recovery = LossRecovery.from(s.recovery);
    c.segments =
      c.recovery?.segments ??
      (keepsSegments(s.options) ? SentSegments.from(s.sendTimes ?? []) : undefined);
    c.pacer = { ...noPacing(), ...s.pacing };
    return c;
  }

  rttLimits(): RttLimits {
    return {
      initialUs: this.options.rtoInitialMs * 1000,
      minUs: this.options.rtoMinMs * 1000,
      maxUs: this.options.rtoMaxMs * 1000,
      estimator: this.options.rttEstimator,
    };
  }

  /** All state changes go through here, traced as `from => to` with the cause. */
  setState(to: TcpState, cause: string): void {
    if (to === this.state) return;
    const from = this.state;
    this.state = to;
    this.env.trace({ kind: 'state', endpointId: this.id, from, to, cause });
    if (to === 'CLOSED' || to === 'TIME-WAIT') {
      for (const kind of TIMER_ORDER) if (kind !== 'time-wait') this.cancelTimer(kind);
    }
  }

  // --- user calls (RFC 9293 §3.10.1-3.10.6) ------------------------------------------------

  /** OPEN, passive (§3.10.1): CLOSED -> LISTEN. */
  listen(): void {
    this.setState('LISTEN', 'passive OPEN');
  }

  /** OPEN, active (§3.10.1): choose ISS, send SYN, CLOSED -> SYN-SENT. */
  connect(now: number, remote: Endpoint, iss: SeqNum): void {
    this.remote = remote;
    this.initSend(iss);
    this.ecn = ecnActiveOpen(this.options.ecn);
    this.setState('SYN-SENT', 'active OPEN');
    this.output(now);
  }

  /** A listener's SYN (§3.10.7.2, third check) turned into this new endpoint: send SYN-ACK. */
  acceptSyn(now: number, remote: Endpoint, segment: TcpSegment, iss: SeqNum): void {
    this.remote = remote;
    this.passive = true;
    this.irs = segment.seq;
    this.rcvNxt = seqAdd(segment.seq, 1);
    this.learnPeerMss(segment.options);
    this.negotiateWindowScale(segment.options, 'passive');
    this.negotiateTimestamps(segment.options);
    this.negotiateSack(segment.options);
    ecnSynArrives(this.ecn, this.options.ecn, segment, 'passive');
    this.initSend(iss);
    this.sndWnd = segment.window;
    this.maxSndWnd = segment.window;
    this.lastReceivedUs = now;
    this.setState('SYN-RECEIVED', 'rcv SYN');
    this.output(now);
  }

  private initSend(iss: SeqNum): void {
    this.iss = iss;
    this.sndUna = iss;
    this.sndNxt = iss;
    this.sndMax = iss;
    this.sndQueueSeq = seqAdd(iss, 1);
    this.push = noPush(this.sndQueueSeq);
    this.userTimeout = noUserTimeout();
  }

  /** The shift we offer in our SYN, or undefined for none (see `EndpointOptions.windowScale`). */
  offeredShift(): number | undefined {
    const option = this.options.windowScale;
    if (option === false) return undefined;
    if (option !== undefined) return Math.min(14, Math.max(0, option));
    let shift = 0;
    while (shift < 14 && this.options.rcvBuffer >> shift > MAX_WINDOW) shift += 1;
    return shift > 0 ? shift : undefined;
  }

  /**
   * RFC 7323 §2.2-2.3: scaling is on only when both SYNs carried the option; the shift we apply
   * to the peer's windows is its offer, at most 14. A passive side answers an offer with its
   * own shift (0 if it wants none) unless scaling is switched off.
   */
  negotiateWindowScale(peer: TcpOptions, role: 'active' | 'passive'): void {
    // An active opener's SYN already said whether it scales; a passive one may answer an offer.
    const offered = this.offeredShift();
    const ours =
      role === 'active' || offered !== undefined || this.options.windowScale === false
        ? offered
        : 0;
    if (peer.wscale === undefined || ours === undefined) {
      this.windowScaling = false;
      this.sndShift = 0;
      this.rcvShift = 0;
      return;
    }
    this.windowScaling = true;
    this.sndShift = Math.min(14, peer.wscale); // RFC 7323 §2.3: a shift over 14 is taken as 14
    this.rcvShift = ours;
  }

  /**
   * RFC 7323 §3.2: timestamps are on when both SYNs carry them; the first TSval becomes
   * TS.Recent. With 12 bytes of option in every segment, a segment carries 12 bytes less data
   * (RFC 9293 §3.7.1: the MSS excludes options).
   */
  negotiateTimestamps(peer: TcpOptions): void {
    this.timestamps = this.options.timestamps && peer.ts !== undefined;
    this.tsRecent = this.timestamps ? peer.ts?.val : undefined;
    if (this.timestamps) this.sndMss -= TIMESTAMP_OPTION_SPACE;
  }

  /** RFC 2018 §2: SACK is used when both SYNs carry SACK-permitted. */
  negotiateSack(peer: TcpOptions): void {
    this.sackPermitted = this.options.sack && peer.sackOk === true;
  }

  /**
   * RFC 2018 §4: the SACK blocks for an ACK: the block holding the latest out-of-order segment
   * first, then the others, at most 4 (3 beside timestamps, for the 40 bytes of options).
   */
  sackBlocks(): SackBlock[] {
    const blocks = outOfOrderRanges(this.outOfOrder);
    const latest = this.lastOutOfOrderSeq;
    const first = blocks.findIndex(
      (b) => latest !== undefined && seqLe(b.left, latest) && seqLt(latest, b.right),
    );
    if (first > 0) blocks.unshift(...blocks.splice(first, 1));
    return blocks.slice(0, this.timestamps ? 3 : 4);
  }

  /** The timestamp clock: virtual milliseconds (Linux ticks at 1 kHz too). */
  static tsClock(now: number): number {
    return Math.floor(now / 1000) % 0x1_0000_0000;
  }

  /** The options of our SYN or SYN,ACK. */
  private synOptions(synAck: boolean): TcpOptions {
    const options: TcpOptions = { mss: this.options.mss };
    if (!synAck) {
      const shift = this.offeredShift();
      if (shift !== undefined) options.wscale = shift;
      if (this.options.sack) options.sackOk = true;
    } else {
      if (this.windowScaling) options.wscale = this.rcvShift;
      if (this.sackPermitted) options.sackOk = true;
    }
    // Timestamps themselves are added by emit(): on an active SYN when enabled, on a SYN,ACK
    // when negotiated.
    return options;
  }

  learnPeerMss(options: TcpOptions): void {
    // RFC 9293 §3.7.1: the effective send MSS; 536 when the option is absent.
    const peer = options.mss !== undefined && options.mss > 0 ? options.mss : DEFAULT_PEER_MSS;
    this.sndMss = Math.min(this.options.mss, peer);
  }

  /**
   * SEND (§3.10.2): queues what fits in the send buffer; returns the bytes accepted. With
   * `transfer` the bytes are kept as they are instead of copied: the caller must never change
   * them (segments in flight point into them). With `more` (Linux's MSG_MORE) the SEND is not
   * pushed: more data follows at once (cork.ts, push.ts).
   */
  send(now: number, data: Uint8Array, transfer = false, more = false): number {
    const space = Math.max(0, this.options.sndBuffer - this.sndQueue.length);
    const accepted = space >= data.length ? data : data.subarray(0, space);
    observe(this.push, this.sndWnd, this.sndUna);
    recordWrite(this.push, {
      from: seqAdd(this.sndQueueSeq, this.sndQueue.length),
      length: accepted.length,
      more,
      sentBelow: this.sndMax,
      mss: this.sndMss,
      tso: this.tsoInput(),
    });
    this.sndQueue.append(accepted, !transfer);
    this.output(now);
    return accepted.length;
  }

  /** Changes options on the live endpoint, as setsockopt does (live-options.ts). */
  setOptions(now: number, partial: Partial<EndpointOptions>): void {
    changeOptions(this, now, partial);
  }

  /** What Linux sizes its TSO packets and sets its pacing rate from (tso.ts, pacing-rate.ts). */
  tsoInput(): TsoInput {
    return {
      mss: this.sndMss,
      cwnd: this.congestion.cwnd,
      ssthresh: this.congestion.ssthresh,
      packetsOut: Math.ceil(seqDiff(this.sndMax, this.sndUna) / this.sndMss),
      srttUs: this.rtt.srttUs,
      ssRatio: this.options.pacingSsRatio,
      caRatio: this.options.pacingCaRatio,
      minSegs: this.options.minTsoSegs,
    };
  }

  /** RECEIVE (§3.10.3): takes up to `max` bytes; a window update follows if the window opened. */
  receive(now: number, max: number): Uint8Array {
    const taken = this.readable.read(0, max);
    this.readable.consume(taken.length);
    this.counters.bytesRead += taken.length;
    if (taken.length > 0) {
      // A delayed ACK has no reason to wait once the application has read everything (Linux
      // sends it then too, in tcp_cleanup_rbuf); otherwise only a worthwhile window update.
      const drained = this.readable.length === 0 && this.timers['delayed-ack'] !== undefined;
      if (this.windowUpdateWorthSending()) this.requestAck('window-update');
      else if (drained) this.requestAck();
    }
    this.output(now);
    return taken;
  }

  /** CLOSE (§3.10.4): no more data from us; a FIN follows what is queued. */
  shutdown(now: number): void {
    switch (this.state) {
      case 'LISTEN':
      case 'SYN-SENT':
        this.setState('CLOSED', 'user CLOSE'); // any outstanding RECEIVEs return "closing"
        return;
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        this.finQueued = true;
        this.setState('FIN-WAIT-1', 'user CLOSE');
        break;
      case 'CLOSE-WAIT':
        this.finQueued = true;
        this.setState('LAST-ACK', 'user CLOSE');
        break;
      default:
        return; // already closing: the RFC's "error: connection closing" is reported by the caller
    }
    this.output(now);
  }

  /**
   * close() as a kernel does it: CLOSE, and the application reads no more. Unread data makes it
   * an abort (RST), as in Linux and BSD (RFC 2525 §2.17).
   */
  close(now: number): void {
    this.appClosed = true;
    if (this.readable.length > 0 && this.state !== 'LISTEN' && this.state !== 'SYN-SENT') {
      this.abort(now, 'close with unread data');
      return;
    }
    this.shutdown(now);
  }

  /**
   * ABORT (§3.10.5): RST in synchronized states, then CLOSED. `resetSeq`: the RST answers a
   * segment, <SEQ=SEG.ACK><CTL=RST>, instead of carrying our SND.NXT.
   */
  abort(now: number, cause = 'user ABORT', resetSeq?: SeqNum): void {
    const sendsReset =
      this.state === 'SYN-RECEIVED' ||
      this.state === 'ESTABLISHED' ||
      this.state === 'FIN-WAIT-1' ||
      this.state === 'FIN-WAIT-2' ||
      this.state === 'CLOSE-WAIT';
    if (sendsReset && resetSeq !== undefined) {
      this.emit(now, { flags: Flag.RST, seq: resetSeq, ack: seq(0), len: 0 });
    } else if (sendsReset && this.options.edgeRules === 'linux') {
      // Linux's tcp_send_active_reset(): RST with ACK (and timestamps, RFC 7323 §3.2 allows).
      this.emit(now, { flags: Flag.RST | Flag.ACK, seq: this.sndMax, ack: this.rcvNxt, len: 0 });
    } else if (sendsReset) {
      this.emit(now, { flags: Flag.RST, seq: this.sndMax, ack: seq(0), len: 0 });
    }
    this.flushQueues();
    this.setState('CLOSED', cause);
  }

  /**
   * The TCB is deleted (§3.10.5 ABORT, §3.10.7.4 on a RST, §3.8.3 on giving up): whatever was
   * queued to send and whatever arrived unread is gone ("all segment queues should be flushed").
   */
  private flushQueues(): void {
    this.sndQueue = new ByteQueue();
    this.readable = new ByteQueue();
    this.outOfOrder = [];
  }

  /** Fails the connection with `error`: the application hears it, the TCB goes away. */
  fail(error: AppError, cause: string): void {
    this.error = error;
    this.env.trace({
      kind: 'app',
      endpointId: this.id,
      event: 'error',
      bytes: undefined,
      error,
      detail: cause,
    });
    this.flushQueues();
    this.setState('CLOSED', cause);
  }

  /** Tells the application side what happened (bytes delivered, end of stream). */
  traceApp(event: 'delivered' | 'eof', bytes: number | undefined): void {
    this.env.trace({
      kind: 'app',
      endpointId: this.id,
      event,
      bytes,
      error: undefined,
      detail: undefined,
    });
  }

  // --- timers (RFC 9293 §3.10.8) -----------------------------------------------------------

  setTimer(kind: TimerKind, expiresUs: number): void {
    this.timers[kind] = expiresUs;
    this.env.trace({ kind: 'timer', endpointId: this.id, timer: kind, action: 'armed', expiresUs });
  }

  cancelTimer(kind: TimerKind): void {
    if (this.timers[kind] === undefined) return;
    this.timers[kind] = undefined;
    this.env.trace({
      kind: 'timer',
      endpointId: this.id,
      timer: kind,
      action: 'cancelled',
      expiresUs: undefined,
    });
  }

  /** The armed timers and when they expire. */
  armedTimers(): TimerTable {
    const armed: TimerTable = {};
    for (const kind of TIMER_ORDER) {
      const at = this.timers[kind];
      if (at !== undefined) armed[kind] = at;
    }
    return armed;
  }

  /** The earliest armed timer, or undefined. */
  nextDeadline(): number | undefined {
    let earliest: number | undefined;
    for (const kind of TIMER_ORDER) {
      const at = this.timers[kind];
      if (at !== undefined && (earliest === undefined || at < earliest)) earliest = at;
    }
    return earliest;
  }

  /**
   * Called on entering ESTABLISHED. RFC 6298 §5.7: if the SYN (or SYN-ACK) had to be
   * retransmitted and RTO is below 3 s, data transmission starts with RTO = 3 s.
   */
  onEstablished(now: number): void {
    if (this.rtt.backoffs > 0 && this.rtt.srttUs === undefined && this.rtt.rtoUs < 3_000_000) {
      this.rtt = { ...this.rtt, rtoUs: Math.min(3_000_000, this.options.rtoMaxMs * 1000) };
    }
    this.retries = 0;
    // The initial window counts in the SMSS now agreed (RFC 5681 §3.1).
    this.congestion = newController(
      this.options.congestion,
      initialWindowBytes(this.options.initialWindow, this.sndMss),
      this.sndMss,
      {
        slowStartExit: this.options.slowStartExit,
        accounting: this.options.cwndAccounting,
        nowUs: now,
      },
    );
    this.ecn.cwrDue = false; // a timed-out SYN is no reduction of a data window
    this.restartKeepalive(now);
  }

  /**
   * An ACK arrived, the scoreboard has its SACK blocks and loss recovery has read it: the record
   * of segments takes it in, once (loss recovery did, in onAckArrival, when the connection has
   * it), for what Linux's congestion control reads of it: its RTT sample and the packets it
   * delivers. Undefined when the connection keeps no record.
   */
  takeAck(nowUs: number, ack: SeqNum): Delivery | undefined {
    const record = this.segments;
    if (record === undefined) return undefined;
    const taken =
      this.recovery?.pending.ack?.taken ??
      record.take(
        this.sackPermitted ? this.scoreboard.sacked : [],
        seqGt(ack, this.sndUna) ? ack : undefined,
      );
    return deliveryOf(taken, nowUs);
  }

  /**
   * What a congestion controller needs to know about an ACK or a timeout; `delivery`, for the
   * ACK being processed, what `takeAck` found.
   */
  ackInfo(ack: SeqNum, ackedBytes: number, nowUs: number, delivery?: Delivery): AckInfo {
    return {
      ack,
      ackedBytes,
      smss: this.sndMss,
      flightSize: seqDiff(this.sndMax, this.sndUna),
      sndMax: this.sndMax,
      nowUs,
      srttUs: this.rtt.srttUs,
      rttUs: delivery?.rttUs,
      sackRecovery: this.sackPermitted,
      firstSegmentLost:
        this.sackPermitted && this.scoreboard.firstSegmentLost(this.sndUna, this.sndMss),
      ...(delivery && seqGt(ack, this.sndUna) && { packetsAcked: delivery.packets }),
    };
  }

  /** RFC 6675 loss recovery is under way: the scoreboard and the pipe decide what is sent. */
  inSackRecovery(): boolean {
    return this.sackPermitted && this.congestion.phase === 'fast-recovery';
  }

  /** Runs a controller call and traces the congestion phase if it changed. */
  congestionEvent(cause: string, call: () => CongestionAction | void): CongestionAction {
    const from = this.congestion.phase;
    const action = call() ?? 'none';
    const to = this.congestion.phase;
    if (from === to) return action;
    ecnPhaseChanged(this.ecn, from, to); // RFC 3168 §6.1.2: CWR after any reduction
    // HighRxt belongs to one recovery episode (RFC 6675 §5 step 4.1 starts it at HighACK).
    if (from === 'fast-recovery' || to === 'fast-recovery') this.scoreboard.highRxt = undefined;
    onPhaseChange(this, from, to);
    this.env.trace({ kind: 'congestion', endpointId: this.id, from, to, cause });
    return action;
  }

  /** What the `linux` ACK policy reads of the connection. */
  ackContext(): AckContext {
    return {
      rcvWnd: this.rcvWnd,
      rcvMss: this.stats.rcvMss ?? this.sndMss,
      rtoUs: this.rtt.rtoUs,
      srttUs: this.rtt.srttUs,
    };
  }

  /** An ACK is due at the next output; `label` says why when it is more than acknowledging. */
  requestAck(label?: SegmentLabel): void {
    this.ackPending = true;
    if (label !== undefined) this.ackLabel = label;
  }

  /**
   * Carries out what the controller asked for after an ACK; `duplicate` when that ACK was a
   * duplicate one, so that what is sent again is the fast retransmission (RFC 5681 §3.2).
   */
  applyCongestionAction(now: number, action: CongestionAction, duplicate = false): void {
    if (
      action === 'retransmit' &&
      !(duplicate && this.sackPermitted && deferEntryRetransmit(this))
    ) {
      this.retransmitAt(
        now,
        this.sndUna,
        this.sndMss,
        duplicate ? 'fast-retransmission' : undefined,
      );
    }
    if (action === 'go-back') {
      this.rttProbe = undefined;
      this.sndNxt = this.sndUna;
      this.fastRetransmitDue = duplicate;
    }
  }

  /**
   * Sends again, now, up to `maxLen` octets already sent from `at` (or the FIN if it is at
   * `at`): fast retransmit and partial ACKs resend SND.UNA, SACK recovery its holes.
   */
  retransmitAt(now: number, at: SeqNum, maxLen: number, label?: SegmentLabel): number {
    this.rttProbe = undefined; // Karn (RFC 6298 §3)
    const offset = seqDiff(at, this.sndQueueSeq);
    const outstanding = seqDiff(this.sndMax, at);
    const len = Math.min(maxLen, outstanding, this.sndQueue.length - offset);
    let sent = 0;
    if (len > 0) {
      this.emit(now, {
        flags: Flag.ACK,
        seq: at,
        ack: this.rcvNxt,
        len,
        payload: this.sndQueue.read(offset, len),
        consumes: len,
        label,
      });
      sent = len;
    } else if (this.finSeq() === at) {
      this.emit(now, {
        flags: Flag.FIN | Flag.ACK,
        seq: at,
        ack: this.rcvNxt,
        len: 0,
        consumes: 1,
        label,
      });
      sent = 1;
    }
    if (sent > 0 && this.inSackRecovery()) this.scoreboard.retransmitted(seqAdd(at, sent));
    return sent;
  }

  /** Runs every timer due at `now`, in a fixed order. */
  onTimers(now: number): void {
    for (const kind of TIMER_ORDER) {
      const at = this.timers[kind];
      if (at === undefined || at > now) continue;
      this.timers[kind] = undefined;
      this.env.trace({
        kind: 'timer',
        endpointId: this.id,
        timer: kind,
        action: 'fired',
        expiresUs: at,
      });
      this.fire(now, kind);
    }
    this.output(now);
  }

  private fire(now: number, kind: TimerKind): void {
    switch (kind) {
      case 'time-wait':
        this.setState('CLOSED', '2MSL timeout'); // RFC 9293 §3.10.8
        return;
      case 'retransmit':
        this.onRetransmitTimeout(now);
        return;
      case 'persist':
        if (this.hasUnsentData() && probingTimedOut(this, now)) {
          this.fail('ETIMEDOUT', 'user timeout'); // RFC 9293 §3.10.8; Linux tcp_probe_timer
          return;
        }
        this.sendWindowProbe(now);
        return;
      case 'delayed-ack':
        if (this.options.ackPolicy === 'linux') onDelayedAckFired(this.ackState, this.ackContext());
        this.requestAck();
        return;
      case 'keepalive':
        this.onKeepaliveTimeout(now);
        return;
      case 'reorder':
        onReorderTimeout(this, now);
        return;
      case 'loss-probe':
        onLossProbeTimeout(this, now);
        return;
      case 'pacing':
        return; // the output pass that follows sends what waited for its release
    }
  }

  private onRetransmitTimeout(now: number): void {
    if (this.state === 'CLOSED' || this.state === 'LISTEN' || this.state === 'TIME-WAIT') return;
    const handshaking = this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED';
    const limit = handshaking ? this.options.synRetries : this.options.dataRetries;
    // A user timeout replaces the data retransmission limit (Linux retransmits_timed_out).
    const counted = handshaking || !(this.options.userTimeoutMs > 0);
    if (counted && this.retries >= limit) {
      // RFC 9293 §3.8.3: R2 reached, the connection is closed.
      if (this.state === 'SYN-RECEIVED' && this.passive) {
        this.setState('CLOSED', 'SYN-ACK retries exhausted');
      } else {
        this.fail('ETIMEDOUT', handshaking ? 'SYN retries exhausted' : 'retransmissions exhausted');
      }
      return;
    }
    if (retransmissionsTimedOut(this, now, this.state)) {
      this.fail('ETIMEDOUT', 'user timeout'); // RFC 9293 §3.10.8 USER TIMEOUT
      return;
    }
    // RFC 3168 §6.1.2: ssthresh is not cut twice for one window: a timeout within the window
    // an ECN-Echo cut keeps it (Linux's tcp_enter_loss in CWR before high_seq is acknowledged).
    const repeated = this.retries > 0 || this.congestion.phase === 'cwr';
    this.retries += 1;
    this.rtt = backOff(this.rtt, this.rttLimits()); // RFC 6298 §5.5
    this.rttProbe = undefined; // Karn (RFC 6298 §3): no sample from a retransmitted segment
    const info = this.ackInfo(this.sndUna, 0, now);
    this.congestionEvent('retransmission timeout', () => this.congestion.onRto(info, repeated));
    this.scoreboard.clear(); // RFC 2018 §8: after a timeout, SACKed bits are turned off
    this.sndNxt = this.sndUna; // go back to the oldest unacknowledged octet (RFC 6298 §5.4)
    recoveryOnRto(this, now);
  }

  private sendWindowProbe(now: number): void {
    if (!this.hasUnsentData()) return;
    if (this.sndWnd > 0) {
      // RFC 9293 §3.8.6.2.1 (iv): the override timeout. The window is open but too small for
      // sender SWS avoidance to send: send what fits now rather than wait for ever.
      this.swsOverride = true;
      return;
    }
    // RFC 9293 §3.8.6.1: probe the zero window. Like Linux, the probe carries an already
    // acknowledged sequence number, so the peer answers with an ACK that reports its window.
    this.emit(now, {
      flags: Flag.ACK,
      seq: seqAdd(this.sndUna, -1),
      ack: this.rcvNxt,
      len: 0,
      label: 'window-probe',
    });
    this.persistBackoff += 1; // RFC 9293 §3.8.6.1, SHLD-30: exponential backoff
    this.setTimer('persist', now + clampProbe(this, now, this.persistIntervalUs()));
  }

  persistIntervalUs(): number {
    const base = this.rtt.rtoUs; // SHLD-29: the first probe after one RTO
    return Math.min(this.options.rtoMaxMs * 1000, base * 2 ** this.persistBackoff);
  }

  private onKeepaliveTimeout(now: number): void {
    const keepalive = this.options.keepalive;
    if (keepalive === false || this.state !== 'ESTABLISHED') return;
    if (keepaliveExhausted(this, now, keepalive.probes)) {
      this.fail('ETIMEDOUT', 'keep-alive probes unanswered');
      return;
    }
    // RFC 9293 §3.8.4: a probe with SEG.SEQ = SND.NXT - 1 and no data.
    this.emit(now, {
      flags: Flag.ACK,
      seq: seqAdd(this.sndMax, -1),
      ack: this.rcvNxt,
      len: 0,
      label: 'keep-alive',
    });
    this.keepaliveProbes += 1;
    this.setTimer('keepalive', now + keepalive.intervalMs * 1000);
  }

  /** (Re)arms the keep-alive idle timer after activity. */
  restartKeepalive(now: number): void {
    const keepalive = this.options.keepalive;
    if (keepalive === false || this.state !== 'ESTABLISHED') return;
    this.keepaliveProbes = 0;
    this.setTimer('keepalive', now + keepalive.idleMs * 1000);
  }

  // --- output --------------------------------------------------------------------------------

  hasUnsentData(): boolean {
    return seqDiff(seqAdd(this.sndQueueSeq, this.sndQueue.length), this.sndNxt) > 0;
  }

  /** The sequence number of our FIN, once the application has closed. */
  finSeq(): SeqNum | undefined {
    return this.finQueued ? seqAdd(this.sndQueueSeq, this.sndQueue.length) : undefined;
  }

  /** Whether our FIN has been acknowledged. */
  finAcked(): boolean {
    const fin = this.finSeq();
    return fin !== undefined && seqGt(this.sndUna, fin);
  }

  /** The loss-recovery numbers of Linux's tcp_info (see `LossState` in loss-recovery.ts). */
  lossState(): LossState {
    return lossState(this);
  }

  /** Where loss recovery stands, as Linux's tcpi_ca_state names it. */
  caState(): CaState {
    if (this.recovery !== undefined) return this.lossState().caState;
    if (this.congestion.phase === 'loss-recovery') return 'loss';
    if (this.congestion.phase === 'fast-recovery') return 'recovery';
    if (this.congestion.phase === 'cwr') return 'cwr'; // after an ECN-Echo (tcp_enter_cwr)
    const disorder = this.congestion.state().dupAcks > 0 || this.scoreboard.sacked.length > 0;
    return disorder ? 'disorder' : 'open';
  }

  /** Linux's tcp_info for this connection at `now`. */
  tcpInfo(now: number): TcpInfo {
    const inFlight = seqDiff(this.sndMax, this.sndUna);
    const sacked = this.scoreboard.sacked.reduce((n, b) => n + seqDiff(b.right, b.left), 0);
    const lostBelow = this.scoreboard.lostBelow(this.sndMss);
    const lost =
      lostBelow === undefined ? 0 : Math.max(0, seqDiff(lostBelow, this.sndUna) - sacked);
    // With RACK, TLP, PRR or D-SACK on, the per-segment counts of loss-recovery.ts.
    const loss = this.recovery === undefined ? undefined : this.lossState();
    const segments = (n: number) => n * Math.max(1, this.sndMss);
    return tcpInfo({
      state: this.state,
      caState: this.caState(),
      nowUs: now,
      retries: this.retries,
      probes: this.persistBackoff,
      backoffs: this.rtt.backoffs,
      timestamps: this.timestamps,
      sack: this.sackPermitted,
      windowScaling: this.windowScaling,
      ecn: this.ecn.ok, // TCPI_OPT_ECN: TCP_ECN_OK
      sndShift: this.sndShift,
      rcvShift: this.rcvShift,
      rtoUs: this.rtt.rtoUs,
      atoUs: this.options.delayedAckMs * 1000,
      sndMss: this.sndMss,
      rcvMss: this.stats.rcvMss ?? this.options.mss,
      advMss: this.options.mss,
      pmtu: this.options.mss + 40,
      inFlightBytes: inFlight,
      sackedBytes: loss === undefined ? sacked : segments(loss.sacked),
      lostBytes: loss === undefined ? lost : segments(loss.lost),
      retransOutBytes: loss === undefined ? 0 : segments(loss.retrans),
      lastDataSentUs: this.counters.bytesSent > 0 ? this.lastDataSentUs : undefined,
      lastDataRecvUs: this.stats.lastDataRecvUs,
      lastAckRecvUs: this.stats.lastAckRecvUs,
      srttUs: this.rtt.srttUs,
      rttvarUs: this.rtt.rttvarUs,
      minRttUs: this.stats.minRttUs,
      cwndBytes: this.congestion.cwnd,
      ssthreshBytes: this.congestion.ssthresh,
      reordering: loss?.reordering ?? 3,
      reordSeen: loss?.reordSeen ?? 0,
      dsackDups: loss?.dsackDups ?? 0,
      totalRetrans: this.counters.retransmissions,
      bytesAcked: Math.max(0, seqDiff(this.sndUna, this.iss) - 1),
      bytesReceived: this.counters.bytesDelivered,
      segsOut: this.counters.segmentsSent,
      segsIn: this.counters.segmentsReceived,
      dataSegsOut: this.stats.dataSegsOut,
      notSentBytes: Math.max(
        0,
        this.sndQueue.length - Math.max(0, seqDiff(this.sndNxt, this.sndQueueSeq)),
      ),
      bytesSent: this.counters.bytesSent + this.stats.bytesRetrans,
      bytesRetrans: this.stats.bytesRetrans,
      deliveryRate: this.stats.deliveryRate ?? 0,
      delivered: Math.ceil(
        Math.max(0, seqDiff(this.sndUna, this.iss) - 1) / Math.max(1, this.sndMss),
      ),
      sndWnd: this.sndWnd,
      rcvWnd: this.rcvWnd,
    });
  }

  metrics(): Metrics {
    return {
      cwnd: this.congestion.cwnd,
      ssthresh: this.congestion.ssthresh,
      flightSize: seqDiff(this.sndMax, this.sndUna),
      srttUs: this.rtt.srttUs,
      rttvarUs: this.rtt.rttvarUs,
      rtoUs: this.rtt.rtoUs,
      sndWnd: this.sndWnd,
      rcvWnd: this.rcvWnd,
    };
  }

  /**
   * Whether `metrics()` would equal `last` (the same eight fields): checked after every
   * segment, so without building the object.
   */
  private metricsUnchanged(last: Metrics): boolean {
    return (
      last.cwnd === this.congestion.cwnd &&
      last.ssthresh === this.congestion.ssthresh &&
      last.flightSize === seqDiff(this.sndMax, this.sndUna) &&
      last.srttUs === this.rtt.srttUs &&
      last.rttvarUs === this.rtt.rttvarUs &&
      last.rtoUs === this.rtt.rtoUs &&
      last.sndWnd === this.sndWnd &&
      last.rcvWnd === this.rcvWnd
    );
  }

  /** Traces the metrics if any changed since they were last reported. */
  private reportMetrics(): void {
    const last = this.lastMetrics;
    if (last !== undefined && this.metricsUnchanged(last)) return;
    const now = this.metrics();
    this.lastMetrics = now;
    this.env.trace(metricsEvent(this.id, now));
  }

  /**
   * Sends whatever the state, the windows and the queues allow; arms the timers it needs.
   * `arrived`: called for a segment that arrived, which pushes data `more` held back.
   */
  output(now: number, arrived = false): void {
    if (this.state === 'CLOSED' || this.state === 'LISTEN') return;
    const sndNxt = this.sndNxt;
    this.arrived = arrived;
    observe(this.push, this.sndWnd, this.sndUna);
    if (this.options.pushFlag === 'linux') this.held = [];
    this.transmitAll(now);
    endPacket(this.pacer);
    this.flushHeld();
    this.arrived = false;
    if (this.options.cwndAccounting === 'linux') this.validateCwnd(now, seqGt(this.sndNxt, sndNxt));
    this.fastRetransmitDue = false;
    this.reportMetrics();
  }

  /**
   * Linux accounting, after an output pass (tcp_cwnd_validate): whether the sender is using
   * its window, which decides whether the window may grow (linux-growth.ts).
   */
  private validateCwnd(now: number, sent: boolean): void {
    const out = this.segments;
    if (out === undefined) return;
    const pass: SendPass = {
      nowUs: now,
      sent,
      unsent: this.hasUnsentData(),
      packetsOut: out.between(this.sndUna, this.sndMax),
      inFlight: out.between(this.sndUna, this.sndNxt),
      sndUna: this.sndUna,
      sndNxt: this.sndNxt,
      rtoUs: this.rtt.rtoUs,
      initialWindow: initialWindowBytes(this.options.initialWindow, this.sndMss),
      slowStartAfterIdle: this.options.slowStartAfterIdle !== false,
      sndBufferFull: this.sndQueue.length >= this.options.sndBuffer,
    };
    this.congestionEvent('application-limited', () => {
      this.congestion.onSendPass(pass);
    });
  }

  /** Transmits the segments of a `linux` output pass with PSH where Linux puts it (push.ts). */
  private flushHeld(): void {
    const held = this.held;
    this.held = undefined;
    if (held === undefined) return;
    const push = linuxPush(
      this.push,
      held.map((h) => h.data),
      this.tsoInput(),
    );
    held.forEach((h, i) => {
      if (push[i] === true) h.segment.flags |= Flag.PSH;
      this.env.transmit(this, h.segment, h.label);
    });
  }

  private transmitAll(now: number): void {
    let sent = false;
    // Our SYN is (re)sent while unacknowledged: from SYN-SENT, SYN-RECEIVED, or FIN-WAIT-1
    // after a CLOSE in SYN-RECEIVED (§3.10.4). Once we hold the peer's SYN it is a SYN,ACK.
    if (this.sndNxt === this.iss && this.sndUna === this.iss) {
      const synAck = this.state !== 'SYN-SENT';
      this.emit(now, {
        flags:
          (synAck ? Flag.SYN | Flag.ACK : Flag.SYN) |
          ecnSynFlags(this.ecn, synAck, this.retries > 0),
        seq: this.iss,
        ack: synAck ? this.rcvNxt : seq(0),
        len: 0,
        options: this.synOptions(synAck),
        consumes: 1,
      });
      sent = true;
    }
    if (rackActive(this)) {
      if (sendWithRack(this, now)) sent = true;
    } else if (this.inSackRecovery()) {
      while (this.sendInSackRecovery(now)) sent = true;
    } else {
      while (this.sendDataSegment(now)) sent = true;
    }
    if (this.sendFinIfDue(now)) sent = true;
    if (!sent && (this.ackPending || this.unackedSegments >= 2)) {
      // A duplicate ACK or a window update repeats the last ACK's number; one that
      // acknowledges more is an ordinary ACK (with the window in it).
      this.sendAck(now, this.rcvNxt === this.lastAckSent ? this.ackLabel : undefined);
    }
    this.ackLabel = undefined;
    this.dsackBlock = undefined;
    this.armSendTimers(now);
  }

  /** A pure ACK: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (with the highest SND.NXT sent). */
  sendAck(now: number, label?: SegmentLabel): void {
    this.emit(now, { flags: Flag.ACK, seq: this.sndMax, ack: this.rcvNxt, len: 0, label });
  }

  /**
   * RFC 6675 §5 step (C): while cwnd - pipe >= 1 SMSS, send what NextSeg() names: a lost hole
   * (rule 1), else new data the receive window allows (rule 2), else any unSACKed hole past
   * HighRxt (rule 3). The optional rescue retransmission (rule 4) is not made.
   */
  private sendInSackRecovery(now: number): boolean {
    const pipe = this.scoreboard.pipe(this.sndUna, this.sndMax, this.sndMss);
    const room = this.congestion.window() - pipe;
    if (room < this.sndMss) return false;
    if (takeEntryRetransmit(this)) {
      return this.retransmitAt(now, this.sndUna, this.sndMss, 'fast-retransmission') > 0;
    }
    const hole = this.scoreboard.nextHole(this.sndUna, this.sndMax, this.sndMss);
    if (hole?.lost === true) return this.retransmitAt(now, hole.seq, hole.len) > 0;
    const receiveRoom = this.sndWnd - seqDiff(this.sndNxt, this.sndUna);
    if (this.sendDataSegment(now, Math.min(room, receiveRoom))) return true;
    return hole !== undefined && this.retransmitAt(now, hole.seq, hole.len) > 0;
  }

  /**
   * Sends one new segment if the windows, sender SWS avoidance and Nagle allow; `budget`
   * replaces the usable window when SACK recovery computed it from the pipe.
   */
  sendDataSegment(now: number, budget?: number, label?: SegmentLabel): boolean {
    if (!carriesOurData(this.state) || !this.hasUnsentData()) return false;
    this.restartIfIdle(now);
    const offset = seqDiff(this.sndNxt, this.sndQueueSeq);
    const available = this.sndQueue.length - offset;
    const usable =
      budget ?? Math.min(this.sndWnd, this.congestion.window()) - seqDiff(this.sndNxt, this.sndUna);
    const len = Math.min(available, usable, this.sndMss);
    if (len <= 0) return false;
    const inFlight = seqDiff(this.sndNxt, this.sndUna) > 0;
    // Sender SWS avoidance (RFC 9293 §3.8.6.2.1) and Nagle (§3.7.4): send a full segment, or
    // all that is queued when nothing is unacknowledged (or Nagle is off), or half the largest
    // window the peer offered.
    const full = len >= this.sndMss;
    const lastOfQueue = len === available && (!this.options.nagle || !inFlight);
    const bigEnough = this.maxSndWnd > 0 && len >= this.maxSndWnd / 2;
    // A retransmission (below the highest sequence sent) goes out as the window allows.
    const retransmission = seqLt(this.sndNxt, this.sndMax);
    // A tail loss probe goes regardless (Linux's tcp_send_loss_probe: TCP_NAGLE_OFF).
    const probe = label === 'loss-probe';
    if (!full && !lastOfQueue && !bigEnough && !retransmission && !this.swsOverride && !probe) {
      return false;
    }
    const wakeup = this.swsOverride;
    const corked = holdsPartial(this.corkView(), len, available, this.sndMss);
    if (!retransmission && !wakeup && !probe && corked) return false;
    if (!probe && this.pacingHolds(now, len)) return false; // a loss probe is never held
    this.swsOverride = false;
    const data = this.sndQueue.read(offset, len);
    // Linux accounting: CA_EVENT_TX_START, new data with nothing in flight (CUBIC's epoch).
    if (this.options.cwndAccounting === 'linux' && !inFlight) {
      this.congestion.onTransmitStart(now, this.lastDataSentUs);
    }
    this.lastDataSentUs = now;
    // RFC 9293 §3.9.1.2: PUSH on the last segment of a pushed SEND; `linux` decides in emit().
    const rfcPush = len === available && !this.push.tailMore;
    const push = this.options.pushFlag === 'rfc' && rfcPush ? Flag.PSH : 0;
    // Linux's tcp_send_fin(): a FIN queued behind unsent data rides on its last segment.
    const fin = this.options.edgeRules === 'linux' && len === available && this.finRides();
    this.emit(now, {
      flags: Flag.ACK | push | (fin ? Flag.FIN : 0),
      seq: this.sndNxt,
      ack: this.rcvNxt,
      len,
      payload: data,
      consumes: fin ? len + 1 : len,
      wakeup,
      label,
    });
    return true;
  }

  /** With `pacing`, whether the next data segment waits for its release time (pacing.ts). */
  private pacingHolds(now: number, len: number): boolean {
    if (!this.options.pacing) return false;
    const view = {
      tso: this.tsoInput(),
      inFlight: this.inFlightBytes(),
      dataSegsOut: this.stats.dataSegsOut,
    };
    if (!holds(this.pacer, now, len, view)) return false;
    const at = releaseUs(this.pacer);
    if (this.timers.pacing !== at) this.setTimer('pacing', at);
    return true;
  }

  /** Our FIN is due after the queued data (the state says CLOSE was called). */
  private finRides(): boolean {
    return (
      this.finQueued &&
      (this.state === 'FIN-WAIT-1' || this.state === 'LAST-ACK' || this.state === 'CLOSING')
    );
  }

  /**
   * RFC 5681 §4.1: after an idle period longer than an RTO, restart from RW = min(IW, cwnd)
   * (unless `slowStartAfterIdle` is off). Linux (tcp_slow_start_after_idle_check) looks when
   * the application writes or the peer opens its window, not while a zero window holds the
   * data back, so neither does its accounting here.
   */
  private restartIfIdle(now: number): void {
    const idleUs = now - this.lastDataSentUs;
    const idle = this.sndMax === this.sndUna && idleUs > this.rtt.rtoUs;
    if (!idle || this.lastDataSentUs === 0 || this.options.slowStartAfterIdle === false) return;
    if (this.options.cwndAccounting === 'linux' && this.sndWnd === 0) return;
    const iw = initialWindowBytes(this.options.initialWindow, this.sndMss);
    this.congestionEvent('restart after idle', () =>
      this.congestion.onIdleRestart(iw, idleUs, this.rtt.rtoUs, now),
    );
  }

  private corkView() {
    return {
      cork: this.options.cork,
      moreHeld: this.push.tailMore && !this.arrived,
      pushNow: this.pushNow,
      finQueued: this.finQueued,
    };
  }

  private sendFinIfDue(now: number): boolean {
    const fin = this.finSeq();
    if (fin === undefined || this.sndNxt !== fin) return false;
    if (this.state !== 'FIN-WAIT-1' && this.state !== 'LAST-ACK' && this.state !== 'CLOSING') {
      return false;
    }
    this.emit(now, { flags: Flag.FIN | Flag.ACK, seq: fin, ack: this.rcvNxt, len: 0, consumes: 1 });
    return true;
  }

  /** Retransmission timer while anything is outstanding (RFC 6298 §5.1, §5.2); persist timer on a zero window. */
  private armSendTimers(now: number): void {
    const outstanding = seqDiff(this.sndMax, this.sndUna) > 0;
    if (this.recovery !== undefined) {
      armTransmitTimer(this, now); // the retransmission timer, or RACK's or TLP's instead
    } else if (!outstanding) {
      this.cancelTimer('retransmit'); // RFC 6298 §5.2
    } else if (this.timers.retransmit === undefined) {
      // RFC 6298 §5.1, no later than the user timeout's expiry
      this.setTimer('retransmit', now + clampRto(this, now, this.rtt.rtoUs));
    }
    // Data waits and nothing is in flight to bring an ACK: a zero window, or one too small for
    // sender SWS avoidance. The persist timer probes or overrides (Linux arms its probe timer
    // in the same case).
    const blocked = this.hasUnsentData() && !outstanding;
    if (blocked && carriesOurData(this.state)) {
      if (this.timers.persist === undefined)
        this.setTimer('persist', now + this.persistIntervalUs());
    } else {
      if (this.timers.persist !== undefined) {
        this.cancelTimer('persist');
        this.persistBackoff = 0;
      }
      probingEnded(this); // the window opened or data is in flight
    }
  }

  /** The largest window our window field can say: 65535 << RCV.Wind.Shift. */
  maxReceiveWindow(): number {
    return MAX_WINDOW * (1 << this.rcvShift); // shifts are at most 14 (RFC 7323 §2.3)
  }

  /** Free receive buffer, in what the window field can express (multiples of 2^shift). */
  private freeWindow(): number {
    const free = Math.max(0, this.options.rcvBuffer - this.readable.length);
    const unit = 1 << this.rcvShift;
    return Math.floor(Math.min(free, this.maxReceiveWindow()) / unit) * unit;
  }

  /** The window to advertise now, with receiver SWS avoidance (RFC 9293 §3.8.6.2.2). */
  advertisedWindow(): number {
    const candidate = this.freeWindow();
    const threshold = Math.min(this.options.rcvBuffer / 2, this.options.mss);
    // Never move the right edge left; move it right only by at least min(buffer/2, MSS).
    if (candidate - this.rcvWnd >= threshold || candidate <= this.rcvWnd) {
      return Math.max(candidate, this.rcvWnd);
    }
    return this.rcvWnd;
  }

  /**
   * After a read: a window update is sent when the window the peer knows has shrunk to half
   * the largest we can offer or less, and the read at least doubles it (Linux's rule, in
   * tcp_cleanup_rbuf), by no less than the SWS threshold (RFC 9293 §3.8.6.2.2). A read that
   * only nudges a wide-open window waits for the next ACK instead of sending one of its own.
   */
  private windowUpdateWorthSending(): boolean {
    const free = this.freeWindow();
    const largest = Math.min(this.options.rcvBuffer, this.maxReceiveWindow());
    return (
      2 * this.rcvWnd <= largest &&
      free >= 2 * this.rcvWnd &&
      free - this.rcvWnd >= Math.min(this.options.rcvBuffer / 2, this.options.mss)
    );
  }

  /** The window field: unscaled in a SYN (RFC 7323 §2.2), RCV.WND >> shift otherwise. */
  private windowField(flags: number, carriesAck: boolean): number {
    if ((flags & Flag.RST) !== 0 && !carriesAck) return 0;
    if ((flags & Flag.SYN) !== 0) return Math.min(this.rcvWnd, MAX_WINDOW);
    return Math.min(MAX_WINDOW, Math.floor(this.rcvWnd / (1 << this.rcvShift)));
  }

  /** Builds, traces the timing of, and transmits one segment. */
  emit(
    now: number,
    s: {
      flags: number;
      seq: SeqNum;
      ack: SeqNum;
      len: number;
      payload?: Uint8Array;
      options?: TcpOptions;
      /** Sequence space it occupies: advances SND.NXT when it is new. */
      consumes?: number;
      /** Why it is sent (a retransmission is recognised here). */
      label?: SegmentLabel | undefined;
      /** Sent by the persist timer past a small window or a cork. */
      wakeup?: boolean;
    },
  ): void {
    if (this.remote === undefined) return;
    const carriesAck = (s.flags & Flag.ACK) !== 0;
    if (carriesAck && this.options.ackPolicy === 'linux') {
      const due = this.ackPending || this.timers['delayed-ack'] !== undefined;
      if (due) onAckSent(this.ackState);
    }
    if (carriesAck) {
      this.rcvWnd = this.advertisedWindow();
      this.ackPending = false;
      this.unackedSegments = 0;
      this.cancelTimer('delayed-ack');
    }
    const consumes = s.consumes ?? 0;
    let label = s.label;
    // RFC 3168 §6.1: ECE/CWR and the ECN codepoint; new data is what was never sent before.
    const ecn =
      (s.flags & Flag.SYN) === 0 && this.ecn.ok
        ? ecnOnSend(this.ecn, s.len > 0 && !seqLt(s.seq, this.sndMax))
        : undefined;
    this.counters.segmentsSent += 1;
    const retransmission = consumes > 0 && seqLt(s.seq, this.sndMax);
    const data: SentData | undefined =
      s.len > 0 && this.options.pushFlag === 'linux'
        ? {
            seq: s.seq,
            len: s.len,
            retransmission,
            wakeup: s.wakeup === true,
            inFlight: this.held === undefined ? 0 : this.inFlightBytes(),
          }
        : undefined;
    if (consumes > 0) {
      const end = seqAdd(s.seq, consumes);
      const neverSent = seqGt(end, this.sndMax);
      if (s.len > 0) this.stats.dataSegsOut += 1;
      if ((s.flags & Flag.SYN) !== 0 && (s.flags & Flag.ACK) === 0 && neverSent) {
        noteSent(this, now, s.seq, consumes, 'syn');
      } else if (retransmission) {
        noteSent(this, now, s.seq, consumes, 'retransmission');
      }
      if (retransmission) {
        this.counters.retransmissions += 1;
        this.stats.bytesRetrans += Math.min(s.len, seqDiff(this.sndMax, s.seq));
        if (this.fastRetransmitDue) label = 'fast-retransmission';
        this.fastRetransmitDue = false;
        label ??= 'retransmission';
      }
      if (neverSent && s.len > 0) {
        this.counters.bytesSent += Math.min(s.len, seqDiff(end, this.sndMax));
        if (this.options.ackPolicy === 'linux') onDataSent(this.ackState, now);
      }
      // Time one segment at a time, and only a first transmission (Karn, RFC 6298 §3).
      if (neverSent && this.stats.rateSample === undefined) {
        // tcp_info's delivery rate: what is acknowledged while this segment is in flight.
        const acked = Math.max(0, seqDiff(this.sndUna, this.iss) - 1);
        this.stats.rateSample = { end, sentUs: now, acked };
      }
      if (neverSent && this.rttProbe === undefined && this.retries === 0) {
        this.rttProbe = { end, sentUs: now };
      }
      if ((s.flags & Flag.SYN) === 0) {
        // The record of segments in flight: loss recovery's, when the connection has it.
        if (this.recovery !== undefined) onTransmit(this, now, s.seq, end, retransmission, label);
        else this.segments?.sent(s.seq, end, now, this.counters.segmentsSent);
      }
      if (seqGt(end, this.sndNxt)) this.sndNxt = end;
      if (neverSent) this.sndMax = end;
    }
    const options: TcpOptions = s.options === undefined ? {} : { ...s.options };
    const activeSyn = (s.flags & Flag.SYN) !== 0 && (s.flags & Flag.ACK) === 0;
    const withTimestamps = activeSyn ? this.options.timestamps : this.timestamps;
    // RFC 7323 §3.2: not in a RST (it may be there: Linux puts it in its RST,ACK).
    const rstWithTs = this.options.edgeRules === 'linux' && (s.flags & Flag.ACK) !== 0;
    if (withTimestamps && ((s.flags & Flag.RST) === 0 || rstWithTs)) {
      // RFC 7323 §3.2: TSval from our clock, TSecr = TS.Recent (0 in a first SYN).
      options.ts = { val: Connection.tsClock(now), ecr: activeSyn ? 0 : (this.tsRecent ?? 0) };
    }
    if (carriesAck) this.lastAckSent = s.ack;
    if (carriesAck && this.sackPermitted && this.outOfOrder.length > 0)
      options.sack = this.sackBlocks();
    if (carriesAck && this.dsackBlock !== undefined) {
      // RFC 2883 §4: the duplicate first, in this ACK only.
      options.sack = withDsack(this.dsackBlock, options.sack ?? [], this.timestamps ? 3 : 4);
      this.dsackBlock = undefined;
    }
    const segment: TcpSegment = {
      srcPort: this.local.port,
      dstPort: this.remote.port,
      seq: s.seq,
      ack: carriesAck ? s.ack : seq(0),
      flags: s.flags | (ecn?.flags ?? 0),
      window: this.windowField(s.flags, carriesAck),
      urgent: 0,
      options,
      payload: s.payload ?? EMPTY_BYTES,
    };
    if (ecn?.codepoint !== undefined) segment.ecn = ecn.codepoint;
    if (this.held !== undefined) {
      this.held.push(data === undefined ? { segment, label } : { segment, label, data });
      return;
    }
    // `linux`, outside an output pass (a fast retransmission): PSH at a mark only (push.ts).
    if (data !== undefined && (data.wakeup || endsAtMark(this.push, seqAdd(s.seq, s.len)))) {
      segment.flags |= Flag.PSH;
    }
    this.env.transmit(this, segment, label);
  }

  /**
   * Bytes in flight: the pipe during SACK recovery (RFC 6675), else SND.MAX - SND.UNA; with
   * RACK, Linux's packets in flight from the per-segment records.
   */
  private inFlightBytes(): number {
    if (this.recovery !== undefined && rackActive(this)) return this.recovery.segments.pipe();
    return this.inSackRecovery()
      ? this.scoreboard.pipe(this.sndUna, this.sndMax, this.sndMss)
      : seqDiff(this.sndMax, this.sndUna);
  }
}
