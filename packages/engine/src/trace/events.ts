/**
 * What a simulation reports. Every event carries `eventId` (1, 2, 3, ... per simulation) and
 * `timeUs` (virtual microseconds); the service converts them to the API's shapes.
 */
import type { CongestionPhase } from '../tcp/congestion/controller.js';
import type { TcpState } from '../tcp/state.js';
import type { TcpOptions } from '../wire/options.js';

export interface SocketAddress {
  address: string;
  port: number;
}

export type TimerKind = 'retransmit' | 'persist' | 'delayed-ack' | 'keepalive' | 'time-wait';

export type SegmentFate = 'delivered' | 'dropped' | 'duplicated' | 'reordered' | 'corrupted';

export type AppError = 'ECONNREFUSED' | 'ECONNRESET' | 'ETIMEDOUT';

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
      fate: SegmentFate;
      reason: string | undefined;
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
