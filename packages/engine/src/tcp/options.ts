import type { AckPolicy } from './ack-policy.js';
import type { CongestionAlgorithm, CwndAccounting, SlowStartExit } from './congestion/index.js';
import type { RttEstimator } from './rtt.js';
import type { EcnMode } from './ecn.js';
import { DEFAULT_CA_RATIO, DEFAULT_SS_RATIO } from './pacing-rate.js';
import { MIN_TSO_SEGS } from './tso.js';

/**
 * Endpoint options, with defaults that follow common practice. Where the RFCs leave a choice,
 * the comment says which systems do what.
 */

export interface KeepaliveOptions {
  idleMs: number;
  intervalMs: number;
  probes: number;
}

export interface EndpointOptions {
  /** Fixed initial sequence number; by default drawn from the seeded PRNG (RFC 9293 §3.4.1). */
  isn: number | undefined;
  /** MSS to announce and the largest segment to send (RFC 9293 §3.7.1). */
  mss: number;
  /** Bytes the application may queue for sending. */
  sndBuffer: number;
  /** Bytes of received data held for the application; the advertised window comes from it. */
  rcvBuffer: number;
  /**
   * Window scaling (RFC 7323 §2): a shift to offer, false for none, or undefined to offer only
   * when `rcvBuffer` exceeds 64 KB, with the smallest shift that covers it. Linux always offers
   * (shift 7 with its default buffers).
   */
  windowScale: number | false | undefined;
  /**
   * Timestamps (RFC 7323 §3-5): RTT measurement from echoed timestamps and PAWS. Off by default
   * so that the ladder shows the plain RFC 9293 header; Linux, BSD and Windows turn them on.
   */
  timestamps: boolean;
  /**
   * SACK (RFC 2018): offer SACK-permitted and report out-of-order data in SACK blocks. Off by
   * default like timestamps (Linux, BSD and Windows turn it on).
   */
  sack: boolean;
  /** Nagle's algorithm (RFC 9293 §3.7.4): on in Linux, BSD and smoltcp; ns-3 has it off. */
  nagle: boolean;
  /**
   * Linux's TCP_CORK (BSD: TCP_NOPUSH): a partial segment waits for more data while corked,
   * whatever is in flight; turning it off sends what waits. As in Linux, data held with
   * nothing in flight still goes out one RTO later (the zero-window probe timer, which is the
   * "200 ms ceiling" tcp(7) speaks of). Off by default, as in every stack.
   */
  cork: boolean;
  /**
   * Where PSH is set. `rfc`: on the segment that empties the send queue, unless the data came
   * with `more` (RFC 9293 §3.9.1.2: PUSH on the last segment of a pushed SEND). `linux`: where
   * Linux sets it (tcp_push and forced_push, GSO packets, window-probe sends; see push.ts).
   */
  pushFlag: 'rfc' | 'linux';
  /**
   * User timeout in ms, 0 for none (RFC 5482 §1, RFC 9293 §3.8.3 and §3.10.8 USER TIMEOUT):
   * the connection is aborted with ETIMEDOUT when data stays unacknowledged this long. Timed
   * as Linux's TCP_USER_TIMEOUT does it (see user-timeout.ts); it then replaces the
   * `dataRetries` limit. Linux's default is 0.
   */
  userTimeoutMs: number;
  /**
   * Delayed ACK timer (RFC 9293 §3.8.6.3: less than 0.5 s); 0 acknowledges every segment at once.
   * Linux delays 40-200 ms, Windows and BSD 100-200 ms; 40 ms is Linux's TCP_DELACK_MIN.
   */
  delayedAckMs: number;
  /**
   * When to acknowledge (RFC 9293 §3.8.6.3 leaves it open): `rfc`, every second full-sized
   * segment or after `delayedAckMs`; `linux`, Linux's quick-ACK mode at the start and after
   * idle, its adaptive delay (ato, 40-200 ms) and interactive mode (see ack-policy.ts).
   */
  ackPolicy: AckPolicy;
  /**
   * Initial window in segments; undefined for RFC 5681 §3.1's min(4*SMSS, max(2*SMSS, 4380 B))
   * (3 segments at MSS 1460). Linux and ns-3 use 10 (RFC 6928).
   */
  initialWindow: number | undefined;
  /**
   * Congestion control: NewReno (RFC 6582) by default; CUBIC (RFC 9438, the Linux and ns-3
   * default); Reno (RFC 5681) and Tahoe to compare.
   */
  congestion: CongestionAlgorithm;
  /**
   * The RTO's estimator: `rfc6298` (RFC 6298 §2) or `linux` (tcp_rtt_estimator: the minimum
   * bounds the variance term rather than the RTO; see rtt.ts).
   */
  rttEstimator: RttEstimator;
  /**
   * Leaving slow start before a loss does, with any `congestion`: 'none' (RFC 5681: only a
   * loss ends slow start; the default), 'hystart' (Linux's CUBIC HyStart, both its ACK-train
   * and its delay detection: hystart=1, hystart_detect=3, the Linux default; ssthresh = cwnd
   * at the exit; ns-3's TcpCubic runs it too) or 'hystart++' (RFC 9406: delay detection,
   * then Conservative Slow Start; §5 names Windows as running it). Both take an RTT sample
   * from every ACK (Linux's ca_rtt_us), and work with either `cwndAccounting`: with 'linux',
   * HyStart leaves slow start at the cwnd in packets Linux does.
   */
  slowStartExit: SlowStartExit;
  /**
   * How cwnd grows. 'rfc': in bytes, by RFC 5681 §3.1 (slow start adds min(N, SMSS) per ACK,
   * congestion avoidance one SMSS per cwnd of bytes acknowledged) and RFC 9438 for CUBIC.
   * 'linux': as Linux does, in whole packets: slow start adds every packet an ACK delivers
   * (tcp_slow_start), congestion avoidance counts packets in snd_cwnd_cnt (tcp_cong_avoid_ai),
   * the window grows only while the sender uses it (tcp_is_cwnd_limited, after RFC 7661),
   * CUBIC uses tcp_cubic.c's integer arithmetic, and an RTO takes ssthresh from the
   * controller's ssthresh function of cwnd (tcp_enter_loss). ns-3's TcpLinuxReno mimics
   * Linux's Reno the same way. Recovery itself (NewReno, RFC 6675) is the same under both.
   */
  cwndAccounting: CwndAccounting;
  /**
   * Restart after idle (RFC 5681 §4.1, SHOULD): after more than an RTO without sending, cwnd
   * falls back to min(IW, cwnd). Linux's tcp_slow_start_after_idle (default 1) halves cwnd
   * per RTO idle down to that, and with it decays a window left unused for an RTO (RFC 2861);
   * packetdrill's defaults turn it off. BSD and ns-3 restart too.
   */
  slowStartAfterIdle: boolean;
  /** RFC 6298 §2.1: 1 s. */
  rtoInitialMs: number;
  /** RFC 6298 §2.4: 1 s (Linux uses 200 ms). */
  rtoMinMs: number;
  /** RFC 6298 §2.5: at least 60 s (Linux: 120 s). */
  rtoMaxMs: number;
  /** SYN (and SYN-ACK) retransmissions after the first, as Linux counts them (tcp_syn_retries 6). */
  synRetries: number;
  /** Data and FIN retransmissions before ETIMEDOUT (RFC 9293 §3.8.3 R2; Linux tcp_retries2 15). */
  dataRetries: number;
  /** Maximum segment lifetime; TIME-WAIT lasts 2*MSL (RFC 9293 §3.4.2: 2 minutes; Linux holds TIME-WAIT 60 s). */
  mslMs: number;
  /** RFC 1337 F1: ignore RST in TIME-WAIT (Linux: tcp_rfc1337, off by default). */
  rfc1337: boolean;
  /** Keep-alives (RFC 9293 §3.8.4: off by default, MUST-25); Linux: 7200 s, 75 s, 9 probes. */
  keepalive: KeepaliveOptions | false;
  /**
   * Edge cases where Linux's code departs from RFC 9293's text, `rfc` or `linux`:
   * - an ACK of data not yet sent: RFC 9293 §3.10.7.4 (and RFC 5961 §5.2) ACK and drop;
   *   Linux drops it without a word (tcp_ack, SKB_DROP_REASON_TCP_ACK_UNSENT_DATA);
   * - TS.Recent (RFC 7323 §4.3): updated before the ACK check; Linux only after the ACK
   *   proved valid (tcp_replace_ts_recent), so a bogus segment cannot move it;
   * - ABORT, or a close with unread data (RFC 9293 §3.10.5): a bare RST; Linux's
   *   tcp_send_active_reset() sends RST,ACK with the timestamp option;
   * - CLOSE with data still unsent (RFC 9293 §3.10.4: FIN after the data): a FIN segment of
   *   its own; Linux's tcp_send_fin() sets FIN on the last unsent data segment instead.
   */
  edgeRules: 'rfc' | 'linux';
  /** Half-open connections (SYN-RECEIVED) a listener holds; further SYNs are dropped. */
  backlog: number;
  /** RFC 5961 §7: at most this many challenge ACKs per second (0 = no limit; Linux: 1000). */
  challengeAckLimit: number;
  /**
   * RACK loss detection (RFC 8985 §6), with SACK: a segment is lost once one sent after it was
   * delivered and a reordering window (min RTT / 4, zero until reordering is seen once three
   * segments are SACKed) has passed, checked on every ACK and by a reordering timer. It
   * replaces the duplicate ACK count of RFC 6675 as the trigger of fast recovery, retransmits
   * only what it marks lost, and sends while cwnd exceeds Linux's packets in flight. Linux:
   * net.ipv4.tcp_recovery bit 1 (on by default, as tcp_rack_mark_lost and friends); FreeBSD
   * has it in its optional RACK stack; ns-3 does not. Off by default (RFC 6675's DupThresh).
   */
  rack: boolean;
  /**
   * Tail loss probe (RFC 8985 §7), with SACK: when nothing comes back for about two RTTs, send
   * one segment (new data, else the last one again) to draw an ACK instead of waiting for the
   * retransmission timeout. Linux: net.ipv4.tcp_early_retrans = 3 or 4 (3 by default,
   * tcp_schedule_loss_probe and tcp_send_loss_probe); BSD and ns-3 have none. Off by default.
   */
  tlp: boolean;
  /**
   * Proportional rate reduction (RFC 6937, the slow-start reduction bound, as Linux's
   * tcp_cwnd_reduction) for SACK fast recovery: each ACK lets out data in proportion to what it
   * reports delivered, instead of RFC 6675's cwnd - pipe. Linux has no switch: PRR is its only
   * recovery (since 3.2); ns-3's default recovery is PRR too. Off by default.
   */
  prr: boolean;
  /**
   * D-SACK (RFC 2883): as receiver, report a duplicate segment as the first SACK block; as
   * sender, take D-SACKs as evidence of spurious retransmissions and of reordering (RFC 3708,
   * Linux's tp->reordering and reord_seen), which also widens RACK's reordering window (RFC
   * 8985 §6.2 step 4). Linux: net.ipv4.tcp_dsack = 1 by default (Linux reads arriving D-SACKs
   * whatever the sysctl). Off by default.
   */
  dsack: boolean;
  /**
   * Explicit Congestion Notification (RFC 3168), as Linux's `net.ipv4.tcp_ecn` names its
   * choices: `off` (0) never uses it; `on` (1) asks for it in our SYNs and accepts a peer's
   * request; `passive` (2, Linux's default) only accepts a peer's request. Once both SYNs agree,
   * new data goes out ECT(0), a CE mark is echoed with ECE until CWR, and an ECE cuts the window
   * once per window of data. BSD: `net.inet.tcp.ecn.enable`, 2 (accept) by default; ns-3:
   * `UseEcn` Off by default. Off here so that lessons show the plain header.
   */
  ecn: EcnMode;
  /**
   * Pacing as Linux does it when the fq queue discipline is on the interface (`tc qdisc ...
   * fq`): data leaves in TSO-sized packets, each no earlier than the previous one's release
   * plus its length at the pacing rate, after the first 10 segments (pacing.ts). No TCP RFC
   * asks for pacing; RFC 9002 §7.7 describes the same for QUIC. Linux paces only under fq or
   * when the congestion control asks (BBR); BSD has no pacing by default (its RACK stack can);
   * ns-3's TcpSocketState `EnablePacing` is false by default. Off here.
   */
  pacing: boolean;
  /**
   * The pacing rate is cwnd * MSS / SRTT times this percentage while cwnd < ssthresh / 2
   * (slow start), and times `pacingCaRatio` after (Linux tcp_update_pacing_rate, sysctls
   * tcp_pacing_ss_ratio 200 and tcp_pacing_ca_ratio 120; ns-3's PacingSsRatio and
   * PacingCaRatio, the same defaults). The rate also sizes TSO packets, which the `linux`
   * PSH rule reads (push.ts), with or without `pacing`.
   */
  pacingSsRatio: number;
  pacingCaRatio: number;
  /**
   * The fewest segments a TSO packet is sized for (Linux's sysctl tcp_min_tso_segs, 2): what
   * `pacing` releases at once at low rates, and where the `linux` PSH rule cuts packets.
   */
  minTsoSegs: number;
}

export const DEFAULT_OPTIONS: EndpointOptions = {
  isn: undefined,
  mss: 1460,
  sndBuffer: 65536,
  rcvBuffer: 65535,
  windowScale: undefined,
  timestamps: false,
  sack: false,
  nagle: true,
  cork: false,
  pushFlag: 'rfc',
  userTimeoutMs: 0,
  delayedAckMs: 40,
  ackPolicy: 'rfc',
  initialWindow: undefined,
  congestion: 'newreno',
  rttEstimator: 'rfc6298',
  slowStartExit: 'none',
  cwndAccounting: 'rfc',
  slowStartAfterIdle: true,
  rtoInitialMs: 1000,
  rtoMinMs: 1000,
  rtoMaxMs: 60_000,
  synRetries: 6,
  dataRetries: 15,
  mslMs: 30_000,
  rfc1337: false,
  keepalive: false,
  edgeRules: 'rfc',
  backlog: 128,
  challengeAckLimit: 0,
  rack: false,
  tlp: false,
  prr: false,
  dsack: false,
  ecn: 'off',
  pacing: false,
  pacingSsRatio: DEFAULT_SS_RATIO,
  pacingCaRatio: DEFAULT_CA_RATIO,
  minTsoSegs: MIN_TSO_SEGS,
};

export function resolveOptions(overrides: Partial<EndpointOptions> = {}): EndpointOptions {
  const defined = Object.fromEntries(
    Object.entries(overrides).filter(([, value]) => value !== undefined),
  ) as Partial<EndpointOptions>;
  return { ...DEFAULT_OPTIONS, ...defined };
}
