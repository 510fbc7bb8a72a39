/**
 * What a simulation reports. Every event carries `eventId` (1, 2, 3, ... per simulation) and
 * `timeUs` (virtual microseconds); the service converts them to the API's shapes.
 */
import type { CongestionPhase } from '../tcp/congestion/controller.js';
import type { TcpState } from '../tcp/state.js';
import type { EcnCodepoint } from '../wire/ecn.js';
import type { TcpOptions } from '../wire/options.js';

export interface SocketAddress {
  address: string;
  port: number;
}

/**
 * `reorder` is RACK's reordering timer (RFC 8985 §6.2 step 5) and `loss-probe` the tail loss
 * probe's PTO (§7.2): like Linux's single transmit timer, at most one of them and `retransmit`
 * is armed at a time (§8).
 */
export type TimerKind =
  'retransmit' | 'persist' | 'delayed-ack' | 'keepalive' | 'time-wait' | 'reorder' | 'loss-probe';

/** `marked`: delivered with CE set by the link's queue (`ecnMark`) where it would have dropped it. */
export type SegmentFate =
  'delivered' | 'dropped' | 'duplicated' | 'reordered' | 'corrupted' | 'marked';

export type AppError = 'ECONNREFUSED' | 'ECONNRESET' | 'ETIMEDOUT';

/**
 * Why the sending endpoint sent a segment, where that is more than "the next data" or "an
 * ACK": what a capture tool can only guess from the wire, the engine knows.
 * - `retransmission`: SYN, data or FIN sent again (after a timeout, a partial ACK, or as a hole
 *   of SACK recovery);
 * - `fast-retransmission`: the one sent again on the third duplicate ACK (RFC 5681 §3.2);
 * - `duplicate-ack`: an ACK repeating the last one, sent at once because an out-of-order or
 *   duplicate segment arrived (RFC 5681 §4.2);
 * - `window-update`: an ACK sent because the application's read opened the window;
 * - `window-probe`: a zero-window probe (RFC 9293 §3.8.6.1);
 * - `keep-alive`: a keep-alive probe (RFC 9293 §3.8.4);
 * - `challenge-ack`: an ACK answering a suspicious RST, SYN or ACK (RFC 5961 §3-5);
 * - `loss-probe`: a tail loss probe (RFC 8985 §7.3), new data or the last segment again.
 */
export type SegmentLabel =
  | 'retransmission'
  | 'fast-retransmission'
  | 'duplicate-ack'
  | 'window-update'
  | 'window-probe'
  | 'keep-alive'
  | 'challenge-ack'
  | 'loss-probe';

/** The numbers students plot, reported by an endpoint whenever one of them changes. */
export interface Metrics {
  cwnd: number;
  ssthresh: number;
  /** Bytes sent and not yet acknowledged. */
  flightSize: number;
  srttUs: number | undefined;
  rttvarUs: number | undefined;
  rtoUs: number;
  sndWnd: number;
  rcvWnd: number;
}

export type TraceBody =
  | { kind: 'state'; endpointId: string; from: TcpState; to: TcpState; cause: string }
  | {
      kind: 'segment';
      /** The sending endpoint, when the segment came from one (not injected, not a host RST). */
      endpointId: string | undefined;
      src: SocketAddress;
      dst: SocketAddress;
      flags: string;
      seq: number;
      ack: number;
      window: number;
      len: number;
      options: TcpOptions;
      /** The IP ECN field as sent (RFC 3168 §5); undefined for Not-ECT. `marked` says CE arrived. */
      ecn: EcnCodepoint | undefined;
      fate: SegmentFate;
      reason: string | undefined;
      /** Why the endpoint sent it, when that is more than new data or a plain ACK. */
      label: SegmentLabel | undefined;
      /** When it reaches the receiver (undefined when dropped). */
      arrivesUs: number | undefined;
    }
  | {
      kind: 'timer';
      endpointId: string;
      timer: TimerKind;
      action: 'armed' | 'fired' | 'cancelled';
      expiresUs: number | undefined;
    }
  | ({ kind: 'metrics'; endpointId: string } & Metrics)
  | {
      /** A rate-limited link's queue as a packet joins it (bufferbloat shows here). */
      kind: 'link';
      from: string;
      to: string;
      /** Packets waiting or being serialised, this one included. */
      queuePackets: number;
      /** How long this packet waits before its serialisation starts. */
      queueDelayUs: number;
    }
  | {
      kind: 'congestion';
      endpointId: string;
      from: CongestionPhase;
      to: CongestionPhase;
      cause: string;
    }
  | {
      kind: 'app';
      endpointId: string;
      event: 'delivered' | 'eof' | 'error' | 'accepted' | 'dropped-syn';
      bytes: number | undefined;
      error: AppError | undefined;
      detail: string | undefined;
    };

export type TraceEvent = TraceBody & { eventId: number; timeUs: number };

/**
 * A `metrics` event, its fields written out: the engine reports metrics after most segments,
 * and a literal is several times cheaper than spreading `m` into one.
 */
export function metricsEvent(endpointId: string, m: Metrics): TraceBody {
  return {
    kind: 'metrics',
    endpointId,
    cwnd: m.cwnd,
    ssthresh: m.ssthresh,
    flightSize: m.flightSize,
    srttUs: m.srttUs,
    rttvarUs: m.rttvarUs,
    rtoUs: m.rtoUs,
    sndWnd: m.sndWnd,
    rcvWnd: m.rcvWnd,
  };
}
