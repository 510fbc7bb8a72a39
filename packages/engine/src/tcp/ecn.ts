/**
 * Explicit Congestion Notification for TCP (RFC 3168 §6.1): the negotiation in the SYNs, the
 * codepoint each segment carries, the receiver's echo and the sender's answer to it. The window
 * reduction itself is the congestion controller's (`onEcnEcho`); this module says when.
 *
 * Invariants:
 * - `ok` only when our SYN and the peer's agreed (§6.1.1): an ECN-setup SYN has ECE and CWR, an
 *   ECN-setup SYN-ACK has ECE alone; while in SYN-SENT `ok` says our SYN asked for it.
 * - Only new data of an `ok` connection goes out ECN-capable, as ECT(0) (§6.1.2, §6.1.4-6.1.6):
 *   SYNs, pure ACKs, FINs without data, window probes and retransmissions are Not-ECT.
 * - From a CE mark on arriving data the receiver sets ECE on every segment it sends, until a
 *   data segment with CWR arrives (§6.1.3).
 * - The sender sets CWR on the first new data segment after any window reduction (§6.1.2), and
 *   the controller cuts the window for ECE at most once per window of data.
 */
import { Flag, hasFlag } from '../wire/flags.js';
import type { EcnCodepoint } from '../wire/ecn.js';
import type { TcpSegment } from '../wire/segment.js';
import { seqGe, seqGt } from '../wire/seq.js';
import type { CongestionPhase } from './congestion/index.js';
import type { Connection } from './connection.js';

/**
 * Linux's `net.ipv4.tcp_ecn`: `off` (0), `on` (1: ask in our SYN, accept in theirs), `passive`
 * (2: accept only).
 */
export type EcnMode = 'off' | 'on' | 'passive';

/** A connection's ECN state (Linux keeps the same three bits in `tp->ecn_flags`). */
export interface EcnState {
  /** ECN is in use (TCP_ECN_OK); in SYN-SENT, our SYN asked for it. */
  ok: boolean;
  /** Receiver: a CE mark arrived; ECE on every segment until CWR arrives (TCP_ECN_DEMAND_CWR). */
  echo: boolean;
  /** Sender: the window was reduced; the next new data segment carries CWR (TCP_ECN_QUEUE_CWR). */
  cwrDue: boolean;
}

export function noEcn(): EcnState {
  return { ok: false, echo: false, cwrDue: false };
}

/** An active OPEN: `on` asks for ECN in the SYN (§6.1.1). */
export function ecnActiveOpen(mode: EcnMode): EcnState {
  return { ...noEcn(), ok: mode === 'on' };
}

/**
 * The ECE and CWR bits of our SYN or SYN-ACK (§6.1.1). A retransmitted SYN goes without them:
 * §6.1.1.1 allows it, for paths that drop ECN-setup SYNs, and Linux does so (tcp_ecn_clear_syn,
 * with its default tcp_ecn_fallback=1); a SYN-ACK that still answers the first SYN turns ECN on
 * all the same. A SYN-ACK says ECE whenever ECN was agreed, retransmitted or not
 * (tcp_ecn_make_synack).
 */
export function ecnSynFlags(e: EcnState, synAck: boolean, retransmission: boolean): number {
  if (!e.ok) return 0;
  if (synAck) return Flag.ECE;
  return retransmission ? 0 : Flag.ECE | Flag.CWR;
}

/**
 * A SYN arrives (§6.1.1). At a listener (`passive`): ECN is agreed when the SYN is an ECN-setup
 * one and we accept requests; like Linux (tcp_ecn_create_request) we refuse a SYN that itself
 * came ECN-capable, which no sender may send (§6.1.1: SYNs are Not-ECT). In a simultaneous open
 * our SYN asked already: the peer's must have asked too (tcp_ecn_rcv_syn).
 */
export function ecnSynArrives(
  e: EcnState,
  mode: EcnMode,
  s: TcpSegment,
  role: 'passive' | 'simultaneous',
): void {
  const setup = hasFlag(s.flags, Flag.ECE) && hasFlag(s.flags, Flag.CWR);
  const accepts = mode === 'on' || mode === 'passive';
  e.ok = role === 'passive' ? accepts && setup && s.ecn === undefined : e.ok && setup;
}

/**
 * A SYN-ACK arrives in SYN-SENT (§6.1.1): ECN is on if we asked and it is an ECN-setup SYN-ACK,
 * ECE without CWR (one with both is a middlebox reflecting our flags; tcp_ecn_rcv_synack).
 */
export function ecnSynAckArrives(e: EcnState, s: TcpSegment): void {
  e.ok = e.ok && hasFlag(s.flags, Flag.ECE) && !hasFlag(s.flags, Flag.CWR);
}

/** What ECN adds to a segment we send other than a SYN: ECE/CWR bits and the IP codepoint. */
export interface EcnMarking {
  flags: number;
  codepoint: EcnCodepoint | undefined;
}

const NO_MARKING: EcnMarking = { flags: 0, codepoint: undefined };

/**
 * The marking of a non-SYN segment (Linux's tcp_ecn_send). New data is ECT(0) (§6.1.2; so is
 * Linux's classic ECN, see the `ecn-uses-ect0` packetdrill script) and takes the pending CWR
 * (§6.1.2); ACKs, retransmissions and probes stay Not-ECT (§6.1.4-6.1.6). While the receiver
 * echoes, every segment carries ECE (§6.1.3).
 */
export function ecnOnSend(e: EcnState, newData: boolean): EcnMarking {
  if (!e.ok) return NO_MARKING;
  let flags = e.echo ? Flag.ECE : 0;
  if (newData && e.cwrDue) {
    flags |= Flag.CWR;
    e.cwrDue = false;
  }
  return flags === 0 && !newData ? NO_MARKING : { flags, codepoint: newData ? 'ect0' : undefined };
}

/**
 * How a receiver acknowledges data for ECN's sake: at once for a CWR segment (Linux's
 * tcp_ecn_accept_cwr: the sender's window was just cut), with quick ACKs for the first CE mark
 * (__tcp_ecn_check_ce enters quick-ACK mode for two ACKs; under the `rfc` ACK policy, at once).
 */
export type EcnAck = 'none' | 'ack-now' | 'quick-ack';

/**
 * Data arrives on an ECN connection (§6.1.3): CWR ends the echo, then CE (re)starts it, so that a
 * CWR segment that was itself marked is echoed.
 */
export function ecnDataArrives(e: EcnState, s: TcpSegment): EcnAck {
  if (!e.ok || s.payload.length === 0) return 'none';
  let ack: EcnAck = 'none';
  if (hasFlag(s.flags, Flag.CWR)) {
    e.echo = false;
    ack = 'ack-now';
  }
  if (s.ecn === 'ce' && !e.echo) {
    e.echo = true;
    ack = 'quick-ack';
  }
  return ack;
}

/**
 * An ACK arrives: with ECE (and not a SYN, whose ECE means "ECN-capable"), on an ECN connection
 * with data of ours in flight, it reports congestion (§6.1.2). The controller cuts the window
 * as for a loss and retransmits nothing, once per window of data; an old ACK or one with nothing
 * outstanding is not acted on (Linux's tcp_ack: FLAG_ECE only reaches tcp_enter_cwr then).
 */
export function ecnEchoArrives(c: Connection, now: number, s: TcpSegment): void {
  if (!c.ecn.ok || !hasFlag(s.flags, Flag.ECE) || hasFlag(s.flags, Flag.SYN)) return;
  const dataInFlight = seqGt(c.sndUna, c.iss) && seqGt(c.sndMax, c.sndUna);
  if (!dataInFlight || !seqGe(s.ack, c.sndUna)) return;
  const info = c.ackInfo(s.ack, 0, now);
  // Linux first ends CWR if this ACK passes the window it was entered for, then acts on the
  // ECE (tcp_fastretrans_alert): an echo that outlived our CWR is new congestion. The new ACK
  // is shown to the controller first, with no bytes, so that it can end CWR without growing.
  if (c.congestion.phase === 'cwr' && seqGt(s.ack, c.sndUna)) {
    c.congestionEvent('new ACK', () => c.congestion.onAck(info));
  }
  c.congestionEvent('ECN-Echo', () => c.congestion.onEcnEcho(info));
}

const GROWING: CongestionPhase[] = ['slow-start', 'congestion-avoidance'];

/**
 * The controller moved from `from` to `to`: a window reduction queues CWR for the next new data
 * segment (§6.1.2: "for any reason", a timeout, a fast retransmit or an ECE). Linux queues it on
 * entering CWR or Recovery from a growing state (tcp_init_cwnd_reduction) and on every timeout
 * (tcp_enter_loss); a loss found while already in CWR is the same reduction.
 */
export function ecnPhaseChanged(e: EcnState, from: CongestionPhase, to: CongestionPhase): void {
  if (!e.ok) return;
  if (to === 'loss-recovery' || (GROWING.includes(from) && !GROWING.includes(to))) {
    e.cwrDue = true;
  }
}
