/**
 * Congestion control as a strategy (RFC 5681 and its successors): one interface, one file per
 * algorithm. A controller sees new ACKs, duplicate ACKs and timeouts, says how much may be in
 * flight, and tells the connection when to retransmit. Its state is plain data (snapshots).
 */
import type { SeqNum } from '../../wire/seq.js';
import type { HyStartPlusPlusState } from './hystart-plus-plus.js';
import type { HyStartState } from './hystart.js';
import type { CwndAccounting, LinuxGrowthState, SendPass } from './linux-growth.js';

export type CongestionAlgorithm = 'newreno' | 'reno' | 'tahoe' | 'cubic';

/** Where slow start may end before a loss: never, Linux's HyStart, or RFC 9406's HyStart++. */
export type SlowStartExit = 'none' | 'hystart' | 'hystart++';

export type SlowStartExitState = HyStartState | HyStartPlusPlusState;

/** How a fresh controller grows: its slow-start exit heuristic and its cwnd accounting. */
export interface GrowthOptions {
  slowStartExit?: SlowStartExit;
  accounting?: CwndAccounting;
  /** Virtual time now (µs), where Linux accounting starts its clocks. */
  nowUs?: number;
}

/** RFC 5681 §3.1: ssthresh starts arbitrarily high. */
export const INITIAL_SSTHRESH = Number.MAX_SAFE_INTEGER;

/** The phase students see on the plot. */
export type CongestionPhase =
  | 'slow-start'
  /** RFC 9406 §4.2 Conservative Slow Start: HyStart++ saw the RTT rise. */
  | 'conservative-slow-start'
  | 'congestion-avoidance'
  | 'fast-recovery'
  /** After a retransmission timeout (or Tahoe's fast retransmit), until `recover` is acked. */
  | 'loss-recovery'
  /**
   * After an ECN-Echo (RFC 3168 §6.1.2), until an ACK passes `recover`: the window was cut once
   * for this window of data and does not grow (Linux's TCP_CA_CWR).
   */
  | 'cwr';

export interface CongestionState {
  algorithm: CongestionAlgorithm;
  cwnd: number;
  ssthresh: number;
  phase: CongestionPhase;
  /** RFC 6582 `recover`: the highest sequence number sent when the loss was detected. */
  recover: number | undefined;
  /** Consecutive duplicate ACKs. */
  dupAcks: number;
  /** Bytes acknowledged in congestion avoidance towards the next +1 SMSS (byte counting). */
  bytesAcked: number;
  /** The sender's SMSS as last seen (Limited Transmit releases one per duplicate ACK). */
  smss: number;
  /** CUBIC's own state (RFC 9438); absent for the Reno family. */
  cubic?: CubicState;
  /** The slow-start exit heuristic's state; absent when there is none. */
  slowStartExit?: SlowStartExitState;
  /** Present when cwnd is counted as Linux counts it (`cwndAccounting: 'linux'`). */
  linux?: LinuxGrowthState;
}

export interface CubicState {
  /** W_max: the window (segments) before the last reduction. */
  wMax: number;
  /** The W_max before that, for fast convergence (RFC 9438 §4.7). */
  wLastMax: number;
  /** When the current congestion avoidance epoch began (virtual µs); undefined outside one. */
  epochStartUs: number | undefined;
  /** K (seconds): when W_cubic climbs back to W_max (RFC 9438 §4.2, equation 2). */
  k: number;
  /** W_est (segments): the Reno-friendly estimate (RFC 9438 §4.3). */
  wEst: number;
  /** cwnd (segments) when the epoch began. */
  cwndEpoch: number;
}

export interface AckInfo {
  /** SEG.ACK */
  ack: SeqNum;
  /** New data octets this ACK acknowledges (0 for a duplicate). */
  ackedBytes: number;
  smss: number;
  /** Bytes outstanding before this ACK (RFC 5681 FlightSize). */
  flightSize: number;
  /** The highest sequence number sent so far (Linux's snd_nxt): where a HyStart round ends. */
  sndMax: SeqNum;
  /** Virtual time now (µs), and the smoothed RTT if known, for time-based growth (CUBIC). */
  nowUs: number;
  srttUs: number | undefined;
  /**
   * The RTT this ACK measures (µs), as Linux's ca_rtt_us: from when the newest segment it newly
   * SACKs was sent, else the newest it acknowledges in full that was not SACKed before;
   * undefined when there is none, when any segment it acknowledges was resent (Karn, RFC 6298
   * §3), or when the connection keeps no record of its segments (sent-segments.ts).
   */
  rttUs: number | undefined;
  /**
   * SACK was negotiated, so losses are repaired from the scoreboard (RFC 6675): no window
   * inflation in fast recovery, and partial ACKs leave the retransmissions to NextSeg().
   */
  sackRecovery: boolean;
  /** RFC 6675 IsLost(SND.UNA + 1): the scoreboard already shows the first segment lost. */
  firstSegmentLost: boolean;
  /**
   * The segments this ACK delivers (Linux's pkts_acked, tcp_newly_delivered): acknowledged in
   * full and not SACKed before, or newly SACKed; present when the connection keeps its record
   * of segments. Linux accounting grows cwnd by it.
   */
  packetsAcked?: number;
}

/** What the connection must do after a controller saw an ACK. */
export type CongestionAction =
  /** Nothing beyond sending what the window now allows. */
  | 'none'
  /** Retransmit the first unacknowledged segment now (fast retransmit, partial ACK). */
  | 'retransmit'
  /** Go back to SND.UNA and resend from there in slow start (Tahoe). */
  | 'go-back';

export interface CongestionController {
  state(): CongestionState;
  /** The current phase, cwnd and ssthresh (without copying the state). */
  readonly phase: CongestionPhase;
  readonly cwnd: number;
  readonly ssthresh: number;
  /** Bytes the sender may have in flight now. */
  window(): number;
  /** SND.UNA advanced. */
  onAck(info: AckInfo): CongestionAction;
  /** A duplicate ACK (RFC 5681 §2). */
  onDupAck(info: AckInfo): CongestionAction;
  /** The retransmission timer expired; `repeated` when the same segment timed out before. */
  onRto(info: AckInfo, repeated: boolean): void;
  /**
   * RFC 5681 §4.1: the connection was idle (nothing sent for `idleUs`) for more than an RTO;
   * `initialWindow` in bytes.
   */
  onIdleRestart(initialWindow: number, idleUs: number, rtoUs: number, nowUs: number): void;
  /** Linux accounting: new data leaves with nothing in flight (CA_EVENT_TX_START). */
  onTransmitStart(nowUs: number, lastSentUs: number): void;
  /** Linux accounting: an output pass ended (tcp_cwnd_validate); true if cwnd or ssthresh moved. */
  onSendPass(pass: SendPass): boolean;
  /**
   * RFC 3168 §6.1.2: an ACK with ECN-Echo: reduce as for a loss, without retransmitting, at
   * most once per window of data.
   */
  onEcnEcho(info: AckInfo): void;
  /**
   * RACK found a loss (RFC 8985 §6.2 step 5): reduce as on the third duplicate ACK and enter
   * fast recovery, whatever the count of duplicate ACKs.
   */
  onLossDetected(info: AckInfo): CongestionAction;
  /**
   * A tail loss probe repaired a loss (RFC 8985 §7.4.2): one reduction, cwnd = ssthresh, with
   * no fast recovery (Linux's tcp_process_tlp_ack enters and leaves CWR at once).
   */
  onProbeLoss(info: AckInfo): void;
  /** PRR (RFC 6937 §3) sets cwnd on each ACK of a fast recovery. */
  setWindow(cwnd: number): void;
}

/** RFC 5681 §3.1, equation (1): IW = min(4*SMSS, max(2*SMSS, 4380)) when not set in segments. */
export function initialWindowBytes(segments: number | undefined, smss: number): number {
  if (segments !== undefined) return segments * smss;
  return Math.min(4 * smss, Math.max(2 * smss, 4380));
}
