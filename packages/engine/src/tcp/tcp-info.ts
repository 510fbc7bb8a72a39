/**
 * Linux's `struct tcp_info` (include/uapi/linux/tcp.h, filled by tcp_get_info() in
 * net/ipv4/tcp.c) for one connection: the numbers `ss -ti` prints and packetdrill's
 * `%{ tcpi_... }%` blocks read, with Linux's names and units, so that a lab can put a real
 * host's figures beside the simulated one. Counts are in segments (MSS-sized packets) where
 * Linux counts packets, times in microseconds (rto, ato, rtt, rttvar, min_rtt) or
 * milliseconds (last_*), rates in bytes per second.
 */
import type { TcpState } from './state.js';

/** tcpi_state: Linux's numbering of the states (include/net/tcp_states.h). */
const LINUX_STATE: Record<TcpState, number> = {
  ESTABLISHED: 1,
  'SYN-SENT': 2,
  'SYN-RECEIVED': 3,
  'FIN-WAIT-1': 4,
  'FIN-WAIT-2': 5,
  'TIME-WAIT': 6,
  CLOSED: 7,
  'CLOSE-WAIT': 8,
  'LAST-ACK': 9,
  LISTEN: 10,
  CLOSING: 11,
};

/** tcpi_ca_state (enum tcp_ca_state): where loss recovery stands. */
export const CA_STATE = { open: 0, disorder: 1, cwr: 2, recovery: 3, loss: 4 } as const;
export type CaState = keyof typeof CA_STATE;

/** tcpi_options bits (TCPI_OPT_*). */
const OPT_TIMESTAMPS = 1;
const OPT_SACK = 2;
const OPT_WSCALE = 4;
const OPT_ECN = 8;

/** Linux reports an ssthresh it has not set yet as TCP_INFINITE_SSTHRESH. */
export const INFINITE_SSTHRESH = 0x7fff_ffff;

export interface TcpInfo {
  tcpi_state: number;
  tcpi_ca_state: number;
  /** Retransmissions of the oldest segment since it was last acknowledged (icsk_retransmits). */
  tcpi_retransmits: number;
  /** Zero-window probes sent without an answer. */
  tcpi_probes: number;
  /** RTO backoffs (icsk_backoff). */
  tcpi_backoff: number;
  tcpi_options: number;
  tcpi_snd_wscale: number;
  tcpi_rcv_wscale: number;
  tcpi_rto: number;
  tcpi_ato: number;
  tcpi_snd_mss: number;
  tcpi_rcv_mss: number;
  /** Segments in flight, sent and not cumulatively acknowledged (packets_out). */
  tcpi_unacked: number;
  tcpi_sacked: number;
  tcpi_lost: number;
  /** Retransmitted segments not yet acknowledged (retrans_out). */
  tcpi_retrans: number;
  tcpi_last_data_sent: number;
  tcpi_last_data_recv: number;
  tcpi_last_ack_recv: number;
  tcpi_pmtu: number;
  tcpi_rtt: number;
  tcpi_rttvar: number;
  tcpi_snd_ssthresh: number;
  tcpi_snd_cwnd: number;
  tcpi_advmss: number;
  tcpi_reordering: number;
  tcpi_total_retrans: number;
  tcpi_bytes_acked: number;
  tcpi_bytes_received: number;
  tcpi_segs_out: number;
  tcpi_segs_in: number;
  tcpi_notsent_bytes: number;
  tcpi_min_rtt: number;
  tcpi_data_segs_out: number;
  tcpi_delivery_rate: number;
  tcpi_delivered: number;
  tcpi_bytes_sent: number;
  tcpi_bytes_retrans: number;
  tcpi_dsack_dups: number;
  tcpi_reord_seen: number;
  tcpi_snd_wnd: number;
  tcpi_rcv_wnd: number;
}

/** What the connection knows that tcp_info reports, gathered by Connection.tcpInfoSource(). */
export interface TcpInfoSource {
  state: TcpState;
  caState: CaState;
  nowUs: number;
  retries: number;
  probes: number;
  backoffs: number;
  timestamps: boolean;
  sack: boolean;
  windowScaling: boolean;
  ecn: boolean;
  sndShift: number;
  rcvShift: number;
  rtoUs: number;
  atoUs: number;
  sndMss: number;
  rcvMss: number;
  advMss: number;
  pmtu: number;
  /** Sequence space sent and not cumulatively acknowledged. */
  inFlightBytes: number;
  sackedBytes: number;
  lostBytes: number;
  retransOutBytes: number;
  lastDataSentUs: number | undefined;
  lastDataRecvUs: number | undefined;
  lastAckRecvUs: number | undefined;
  srttUs: number | undefined;
  rttvarUs: number | undefined;
  minRttUs: number | undefined;
  cwndBytes: number;
  ssthreshBytes: number;
  reordering: number;
  reordSeen: number;
  dsackDups: number;
  totalRetrans: number;
  bytesAcked: number;
  bytesReceived: number;
  segsOut: number;
  segsIn: number;
  dataSegsOut: number;
  notSentBytes: number;
  bytesSent: number;
  bytesRetrans: number;
  deliveryRate: number;
  delivered: number;
  sndWnd: number;
  rcvWnd: number;
}

/** Segments covering `bytes`, as Linux counts a partly filled packet as one. */
const segments = (bytes: number, mss: number) => (bytes <= 0 ? 0 : Math.ceil(bytes / mss));
const sinceMs = (nowUs: number, thenUs: number | undefined) =>
  thenUs === undefined ? 0 : Math.floor((nowUs - thenUs) / 1000);

export function tcpInfo(s: TcpInfoSource): TcpInfo {
  const mss = Math.max(1, s.sndMss);
  const options =
    (s.timestamps ? OPT_TIMESTAMPS : 0) |
    (s.sack ? OPT_SACK : 0) |
    (s.windowScaling ? OPT_WSCALE : 0) |
    (s.ecn ? OPT_ECN : 0);
  // tcp_get_info(): ssthresh is reported only once it was set below "infinity".
  const ssthresh =
    s.ssthreshBytes >= INFINITE_SSTHRESH * mss
      ? INFINITE_SSTHRESH
      : Math.floor(s.ssthreshBytes / mss);
  return {
    tcpi_state: LINUX_STATE[s.state],
    tcpi_ca_state: CA_STATE[s.caState],
    tcpi_retransmits: s.retries,
    tcpi_probes: s.probes,
    tcpi_backoff: s.backoffs,
    tcpi_options: options,
    tcpi_snd_wscale: s.windowScaling ? s.sndShift : 0,
    tcpi_rcv_wscale: s.windowScaling ? s.rcvShift : 0,
    tcpi_rto: s.rtoUs,
    tcpi_ato: s.atoUs,
    tcpi_snd_mss: s.sndMss,
    tcpi_rcv_mss: s.rcvMss,
    tcpi_unacked: segments(s.inFlightBytes, mss),
    tcpi_sacked: segments(s.sackedBytes, mss),
    tcpi_lost: segments(s.lostBytes, mss),
    tcpi_retrans: segments(s.retransOutBytes, mss),
    tcpi_last_data_sent: sinceMs(s.nowUs, s.lastDataSentUs),
    tcpi_last_data_recv: sinceMs(s.nowUs, s.lastDataRecvUs),
    tcpi_last_ack_recv: sinceMs(s.nowUs, s.lastAckRecvUs),
    tcpi_pmtu: s.pmtu,
    tcpi_rtt: s.srttUs ?? 0,
    tcpi_rttvar: s.rttvarUs ?? 0,
    tcpi_snd_ssthresh: ssthresh,
    tcpi_snd_cwnd: Math.floor(s.cwndBytes / mss),
    tcpi_advmss: s.advMss,
    tcpi_reordering: s.reordering,
    tcpi_total_retrans: s.totalRetrans,
    tcpi_bytes_acked: s.bytesAcked,
    tcpi_bytes_received: s.bytesReceived,
    tcpi_segs_out: s.segsOut,
    tcpi_segs_in: s.segsIn,
    tcpi_notsent_bytes: s.notSentBytes,
    // Linux reports ~0U until a sample exists.
    tcpi_min_rtt: s.minRttUs ?? 0xffff_ffff,
    tcpi_data_segs_out: s.dataSegsOut,
    tcpi_delivery_rate: s.deliveryRate,
    tcpi_delivered: s.delivered,
    tcpi_bytes_sent: s.bytesSent,
    tcpi_bytes_retrans: s.bytesRetrans,
    tcpi_dsack_dups: s.dsackDups,
    tcpi_reord_seen: s.reordSeen,
    tcpi_snd_wnd: s.sndWnd,
    tcpi_rcv_wnd: s.rcvWnd,
  };
}

/** What a connection keeps only for tcp_info (in its snapshots too). */
export interface TcpStats {
  /** When an ACK last arrived, and data (µs). */
  lastAckRecvUs: number | undefined;
  lastDataRecvUs: number | undefined;
  /** The smallest RTT sample (tcp_min_rtt). */
  minRttUs: number | undefined;
  /** The largest segment received so far (icsk_ack.rcv_mss, roughly). */
  rcvMss: number | undefined;
  dataSegsOut: number;
  dataSegsIn: number;
  bytesRetrans: number;
  /**
   * The delivery-rate sample under way (one at a time, as the RTT probe): the end of a segment
   * of new data, when it was sent, and the bytes acknowledged then.
   */
  rateSample?: { end: number; sentUs: number; acked: number } | undefined;
  /** The latest sample: bytes acknowledged while it was in flight, per second. */
  deliveryRate?: number;
}

export function noStats(): TcpStats {
  return {
    lastAckRecvUs: undefined,
    lastDataRecvUs: undefined,
    minRttUs: undefined,
    rcvMss: undefined,
    dataSegsOut: 0,
    dataSegsIn: 0,
    bytesRetrans: 0,
  };
}
