/**
 * The `linux` profile: the endpoint a packetdrill script talks to, with the defaults of a
 * recent Linux kernel where tcplab's defaults follow the RFCs, and the addresses packetdrill
 * uses. Scripts written against Linux mostly run unchanged; where the engine differs (no
 * quick-ACK mode at the start of a connection, no TSO, no RACK/TLP), a script says so by
 * failing at the line where it does.
 */
import type { EndpointOptions } from '@tcplab/contract';

export const LINUX_OPTIONS: EndpointOptions = {
  mss: 1460,
  /** RFC 6928's ten segments (tcp_init_cwnd). */
  initialWindow: 10,
  sack: true,
  timestamps: true,
  /**
   * Linux offers the shift its largest receive buffer needs: 7 with today's default
   * tcp_rmem, 8 with the larger one packetdrill's own test suite sets (and expects).
   */
  windowScale: 8,
  rcvBuffer: 262_144,
  sndBuffer: 262_144,
  /** TCP_RTO_MIN, TCP_TIMEOUT_INIT and TCP_RTO_MAX. */
  rtoMinMs: 200,
  rtoInitialMs: 1000,
  rtoMaxMs: 120_000,
  /** TCP_DELACK_MIN: Linux delays an ACK at least this long. */
  delayedAckMs: 40,
  ackPolicy: 'linux',
  congestion: 'cubic',
  /** tcp_syn_retries, tcp_retries2. */
  synRetries: 6,
  dataRetries: 15,
  /** TIME-WAIT lasts TCP_TIMEWAIT_LEN, 60 s. */
  mslMs: 30_000,
};

/** packetdrill's addresses: the kernel under test, and the remote end the script plays. */
export const LOCAL_ADDRESS = '192.168.0.1';
export const REMOTE_ADDRESS = '192.0.2.1';
/** bind() and connect() use 8080 (packetdrill's live_bind_port, live_connect_port). */
export const SCRIPT_PORT = 8080;
/** The other end's port: the remote's for a listening socket, ours for a connecting one. */
export const EPHEMERAL_PORT = 48_000;

/** packetdrill's timing tolerance: max(4 ms, 12.5% of the time since the last event). */
export const DEFAULT_TOLERANCE_US = 4000;
export const DEFAULT_TOLERANCE_PERCENT = 12.5;
