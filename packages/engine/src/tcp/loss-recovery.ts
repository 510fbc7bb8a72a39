/**
 * Linux-style loss recovery around the RFC 6675 scoreboard: RACK (RFC 8985 §6) decides what is
 * lost and when fast recovery starts, TLP (§7) probes a silent tail, PRR (RFC 6937) paces what
 * recovery sends, D-SACK (RFC 2883) reveals spurious retransmissions and reordering. Each is
 * an option (`rack`, `tlp`, `prr`, `dsack`); with all of them off a connection has no
 * `LossRecovery` and nothing here runs. The connection calls in at a few places: when it
 * sends (`onTransmit`), when an ACK arrives (`onAckArrival` before acting on the cumulative
 * ACK, `afterAck` after), to choose what to send (`sendWithRack`), and from its timers
 * (recovery-timers.ts); loss-state.ts reads the counts for tcp_info.
 *
 * Invariants:
 * - `segments` holds one record per segment sent and not cumulatively acknowledged (see
 *   sent-segments.ts), whatever options are on;
 * - RACK, TLP and PRR act only with SACK (as in Linux); with RACK on, fast recovery starts
 *   when RACK marks a segment lost, never on a count of duplicate ACKs;
 * - at most one of the retransmission, reordering and loss probe timers is armed (RFC 8985 §8);
 * - the flags below the state (`pending`) live within one event: set by an arrival, a timer
 *   or a call, and used and cleared by the output that ends it.
 */
import { Flag } from '../wire/flags.js';
import type { TcpSegment } from '../wire/segment.js';
import { seqDiff, seqGt, seqLt, type SeqNum } from '../wire/seq.js';
import type { SegmentLabel } from '../trace/events.js';
import type { Connection } from './connection.js';
import type { CongestionPhase } from './congestion/index.js';
import { DUPACK_THRESHOLD } from './congestion/reno.js';
import { dsackOf, dsackSegments } from './dsack.js';
import type { EndpointOptions } from './options.js';
import { prrOnAck, prrSent, startPrr, type PrrState } from './prr.js';
import {
  advance,
  detectLoss,
  initialRack,
  onDsackRound,
  onRecoveryEnd,
  RACK_TIMER_SLACK_US,
  reoWnd,
  sampleMinRtt,
  type RackState,
} from './rack.js';
import { SentSegments, type AckTaken, type SentSegment } from './sent-segments.js';
import { initialTlp, onProbeAck, type TlpState } from './tlp.js';

/** Linux's tcp_max_reordering: the reordering degree never exceeds 300 segments. */
const MAX_REORDERING = 300;

export interface LossRecoveryState {
  segments: SentSegment[];
  rack: RackState;
  tlp: TlpState;
  prr: PrrState | undefined;
  reordering: number;
  reordSeen: number;
  dsackDups: number;
  /** Data and FIN segments sent so far (SentSegment.order). */
  transmissions: number;
}

/** What the ACK being processed did, from `onAckArrival` to `afterAck`. */
interface AckFacts {
  /** What it did to the records (for the connection's `takeAck`). */
  taken: AckTaken;
  deliveredBytes: number;
  newlyLost: number;
  unaAdvanced: boolean;
  /** SEG.ACK below SND.UNA: SACK information only (Linux's old_ack path, with no PRR). */
  old: boolean;
}

export class LossRecovery {
  segments = new SentSegments();
  rack: RackState = initialRack();
  tlp: TlpState = initialTlp();
  prr: PrrState | undefined;
  /** Linux's tp->reordering: the reordering degree in segments (initially DupThresh). */
  reordering = DUPACK_THRESHOLD;
  reordSeen = 0;
  dsackDups = 0;
  transmissions = 0;

  /** Within one event (see the invariants). */
  pending = {
    ack: undefined as AckFacts | undefined,
    /** §7.2: new data went out (not a probe): schedule the PTO from the oldest segment's RTO. */
    probeAfterSend: false,
    /** §7.2: new data was acknowledged: schedule the PTO, bounded by a whole RTO. */
    probeAfterAck: false,
    /** A reordering timer or a PTO fired: the RTO counts from the oldest segment's sending. */
    rtoFromHead: false,
    /** Fast recovery began: its first retransmission is the fast retransmission. */
    fastRetransmit: false,
    /** PRR defers the fast retransmit of RFC 6675 (4.3) to the output it paces. */
    entryRetransmitDue: false,
  };

  /** A connection has one when any of the options is on. */
  static create(options: EndpointOptions): LossRecovery | undefined {
    return options.rack || options.tlp || options.prr || options.dsack
      ? new LossRecovery()
      : undefined;
  }

  static from(s: LossRecoveryState): LossRecovery {
    const r = new LossRecovery();
    r.segments = SentSegments.from(s.segments);
    r.rack = { ...s.rack };
    r.tlp = { ...s.tlp };
    r.prr = s.prr && { ...s.prr };
    r.reordering = s.reordering;
    r.reordSeen = s.reordSeen;
    r.dsackDups = s.dsackDups;
    r.transmissions = s.transmissions;
    return r;
  }

  toState(): LossRecoveryState {
    return {
      segments: this.segments.toState(),
      rack: { ...this.rack },
      tlp: { ...this.tlp },
      prr: this.prr && { ...this.prr },
      reordering: this.reordering,
      reordSeen: this.reordSeen,
      dsackDups: this.dsackDups,
      transmissions: this.transmissions,
    };
  }
}

export function rackActive(c: Connection): boolean {
  return c.recovery !== undefined && c.options.rack && c.sackPermitted;
}

export function tlpActive(c: Connection): boolean {
  return c.options.tlp && c.sackPermitted;
}

export function prrActive(c: Connection): boolean {
  return c.recovery !== undefined && c.options.prr && c.sackPermitted;
}

export function inRecovery(phase: CongestionPhase): boolean {
  return phase === 'fast-recovery' || phase === 'loss-recovery';
}

export function len(s: SentSegment): number {
  return seqDiff(s.end, s.start);
}

// --- sending ----------------------------------------------------------------------------------

/** A data or FIN segment went out (SYNs are not recorded). */
export function onTransmit(
  c: Connection,
  nowUs: number,
  start: SeqNum,
  end: SeqNum,
  retransmission: boolean,
  label: SegmentLabel | undefined,
): void {
  const r = c.recovery;
  if (r === undefined) return;
  r.transmissions += 1;
  r.segments.sent(start, end, nowUs, r.transmissions); // RFC 8985 §6.1
  if (r.prr !== undefined && c.congestion.phase === 'fast-recovery') {
    prrSent(r.prr, seqDiff(end, start)); // RFC 6937 §3: prr_out += (data sent)
  }
  // RFC 8985 §7.2: the PTO is (re)started after sending new data that is not itself a probe.
  if (!retransmission && label !== 'loss-probe') r.pending.probeAfterSend = true;
}

/** Linux's tcp_packets_in_flight, in bytes: cwnd minus this is what RACK's sender may send. */
function rackBudget(c: Connection, r: LossRecovery): number {
  const receiveRoom = c.sndWnd - seqDiff(c.sndNxt, c.sndUna);
  return Math.min(c.congestion.cwnd - r.segments.pipe(), receiveRoom);
}

/**
 * The output with RACK on (Linux's tcp_xmit_retransmit_queue, then tcp_write_xmit): in fast
 * recovery, the segments deemed lost first, in order, then new data, while cwnd exceeds the
 * packets in flight; outside it, new data while it does. After a timeout the go-back-N of
 * RFC 6298 §5.4 is left as it is. Returns whether it sent anything.
 */
export function sendWithRack(c: Connection, nowUs: number): boolean {
  const r = c.recovery as LossRecovery;
  let sent = false;
  if (c.congestion.phase === 'loss-recovery') {
    while (c.sendDataSegment(nowUs)) sent = true;
    return sent;
  }
  if (c.congestion.phase !== 'fast-recovery') {
    while (c.sendDataSegment(nowUs, rackBudget(c, r))) sent = true;
    return sent;
  }
  for (;;) {
    if (c.congestion.cwnd - r.segments.pipe() < c.sndMss) return sent;
    const lost = r.segments.firstToRetransmit();
    if (lost !== undefined) {
      const label = r.pending.fastRetransmit ? 'fast-retransmission' : undefined;
      r.pending.fastRetransmit = false;
      if (c.retransmitAt(nowUs, lost.start, Math.min(len(lost), c.sndMss), label) === 0)
        return sent;
    } else if (!c.sendDataSegment(nowUs, rackBudget(c, r))) {
      return sent;
    }
    sent = true;
  }
}

/** With PRR and RFC 6675 recovery: the fast retransmit PRR deferred, when due. */
export function takeEntryRetransmit(c: Connection): boolean {
  const r = c.recovery;
  if (r === undefined || !r.pending.entryRetransmitDue) return false;
  r.pending.entryRetransmitDue = false;
  return true;
}

/** With PRR: RFC 6675 (4.3)'s fast retransmit waits for the output PRR paces. */
export function deferEntryRetransmit(c: Connection): boolean {
  if (!prrActive(c)) return false;
  (c.recovery as LossRecovery).pending.entryRetransmitDue = true;
  return true;
}

// --- ACK arrival --------------------------------------------------------------------------------

/** Reordering seen at `low` (Linux's tcp_check_sack_reordering): the degree grows to cover it. */
function checkReordering(c: Connection, r: LossRecovery, low: SeqNum, fack: SeqNum): void {
  if (!seqLt(low, fack)) return;
  const distance = seqDiff(fack, low);
  if (distance > r.reordering * c.sndMss) {
    r.reordering = Math.min(Math.ceil(distance / c.sndMss), MAX_REORDERING);
  }
  r.reordSeen += 1;
}

function lower(a: SeqNum | undefined, b: SeqNum): SeqNum {
  return a === undefined || seqLt(b, a) ? b : a;
}

/**
 * An ACK arrived and the scoreboard has its SACK blocks; SND.UNA has not moved yet. Tags the
 * records, reads a D-SACK, measures reordering, moves RACK, ends a TLP episode, runs RACK's
 * loss detection and starts fast recovery on a loss (Linux's tcp_ack up to
 * tcp_fastretrans_alert).
 */
export function onAckArrival(c: Connection, nowUs: number, s: TcpSegment): void {
  const r = c.recovery;
  if (r === undefined) return;
  const ack = s.ack;
  const priorUna = c.sndUna;
  const unaAdvanced = seqGt(ack, priorUna);
  const old = seqLt(ack, priorUna);
  const phase = c.congestion.phase;
  const rack = rackActive(c);
  const priorFack = r.segments.highestSacked() ?? priorUna;
  let deliveredBytes = 0;
  let dataSacked = false;
  const taken: AckTaken = { sacked: [], removed: [] };

  // RFC 2883 §5 (Linux's tcp_check_dsack, tcp_dsack_seen): a D-SACK is believed for no more
  // segments than were ever retransmitted, and for a range no wider than the peer's window.
  const dsack = c.options.dsack && c.sackPermitted ? dsackOf(s.options.sack, ack) : undefined;
  let dsackBelieved = false;
  let dsackOfProbe = false;
  // (MAX.SND.WND is kept as the window field said it, so scaled here; a SYN's, unscaled, only
  // widens the bound.)
  const widest = c.maxSndWnd * (1 << c.sndShift);
  if (dsack !== undefined && seqDiff(dsack.right, dsack.left) <= widest) {
    const dups = dsackSegments(dsack, c.sndMss);
    dsackOfProbe =
      dups === 1 && r.tlp.endSeq !== undefined && dsack.right === (r.tlp.endSeq as SeqNum);
    r.dsackDups += dups;
    dsackBelieved = r.dsackDups <= c.counters.retransmissions;
  }

  let reordLow: SeqNum | undefined;
  if (c.sackPermitted) {
    // A D-SACK for a retransmitted segment the receiver had SACKed: the original arrived, late
    // (RFC 3708; tcp_sacktag_one). Its retransmission is no longer in flight either.
    if (dsackBelieved && dsack !== undefined) {
      for (const seg of r.segments.covered(dsack.left, dsack.right)) {
        if (seg.everRetransmitted && seg.sacked) reordLow = lower(reordLow, seg.start);
        seg.retransInFlight = false;
      }
    }
    // RFC 8985 §6.2 steps 2-3 for the segments newly SACKed.
    taken.sacked = r.segments.markSacked(c.scoreboard.sacked);
    for (const seg of taken.sacked) {
      deliveredBytes += len(seg);
      dataSacked = true;
      if (rack) advance(r.rack, seg, nowUs);
      else if (!seg.everRetransmitted) sampleMinRtt(r.rack, nowUs - seg.xmitUs, nowUs);
      if (!seg.everRetransmitted && seqLt(seg.start, priorFack)) {
        reordLow = lower(reordLow, seg.start);
      }
    }
    if (reordLow !== undefined && phase !== 'loss-recovery') {
      checkReordering(c, r, reordLow, r.segments.highestSacked() ?? priorUna);
    }
  }

  if (unaAdvanced) {
    // RFC 8985 §6.2 steps 2-3 for the segments newly acknowledged (tcp_clean_rtx_queue).
    let low: SeqNum | undefined;
    const acknowledged = r.segments.acknowledge(ack);
    taken.removed = acknowledged.removed;
    for (const seg of acknowledged.delivered) {
      deliveredBytes += len(seg);
      if (rack) advance(r.rack, seg, nowUs);
      if (!seg.everRetransmitted) low = lower(low, seg.start);
    }
    if (
      c.sackPermitted &&
      low !== undefined &&
      seqLt(low, priorFack) &&
      phase !== 'loss-recovery'
    ) {
      checkReordering(c, r, low, r.segments.highestSacked() ?? ack);
    }
  }

  // RFC 8985 §6.2 step 4: D-SACK rounds widen the reordering window. Like Linux, only once
  // reordering has been seen, and not for a D-SACK of a loss probe.
  if (rack) {
    const counts = dsackBelieved && r.reordSeen > 0 && !dsackOfProbe;
    onDsackRound(r.rack, unaAdvanced ? ack : priorUna, c.sndMax, counts);
  }

  // RFC 8985 §7.4: does this ACK end the probe's episode, and did the probe repair a loss?
  if (r.tlp.endSeq !== undefined) {
    const outcome = onProbeAck(r.tlp, {
      ack,
      unaAdvanced,
      notDup:
        s.payload.length > 0 ||
        (s.flags & Flag.FIN) !== 0 ||
        s.window * (1 << c.sndShift) !== c.sndWnd,
      dataSacked,
      dsackOfProbe,
    });
    if (outcome === 'loss') {
      const info = c.ackInfo(priorUna, 0, nowUs);
      c.congestionEvent('loss repaired by tail loss probe', () => c.congestion.onProbeLoss(info));
    }
  }

  let newlyLost = 0;
  let waiting = false;
  if (rack && phase !== 'loss-recovery' && r.rack.advanced) {
    r.rack.advanced = false;
    ({ newlyLost, waiting } = detectLosses(c, r, nowUs));
  } else if (!rack && c.sackPermitted && phase !== 'loss-recovery') {
    newlyLost = markScoreboardLosses(c, r);
  }
  // New data acknowledged and RACK armed no wait: the TLP or RTO timer takes over from the
  // reordering timer (Linux's tcp_set_xmit_timer on FLAG_SET_XMIT_TIMER).
  if (unaAdvanced && !waiting) c.cancelTimer('reorder');
  if (rack && !inRecovery(c.congestion.phase) && r.segments.firstToRetransmit() !== undefined) {
    enterRecovery(c, r, nowUs, 'RACK loss detection');
  }
  r.pending.ack = { taken, deliveredBytes, newlyLost, unaAdvanced, old };
  if (unaAdvanced) r.pending.probeAfterAck = true;
}

/**
 * RACK_detect_loss_and_arm_timer (§6.2 step 5): marks what RACK finds lost and arms the
 * reordering timer for the rest (Linux adds TCP_TIMEOUT_MIN). Returns the newly lost count,
 * and whether the timer was armed.
 */
export function detectLosses(
  c: Connection,
  r: LossRecovery,
  nowUs: number,
): { newlyLost: number; waiting: boolean } {
  const counts = r.segments.counts();
  const window = reoWnd(r.rack, {
    reorderingSeen: r.reordSeen > 0,
    inRecovery: inRecovery(c.congestion.phase),
    sackedSegments: counts.sacked,
    dupThresh: r.reordering,
    srttUs: c.rtt.srttUs,
  });
  const { lost, waitUs } = detectLoss(r.rack, r.segments, nowUs, window);
  if (waitUs > 0) {
    // §8: the reordering timer stands in for the others while it is armed.
    c.cancelTimer('retransmit');
    c.cancelTimer('loss-probe');
    c.setTimer('reorder', nowUs + waitUs + RACK_TIMER_SLACK_US);
  }
  return { newlyLost: lost.length, waiting: waitUs > 0 };
}

/**
 * Without RACK the records follow RFC 6675's IsLost(): every segment below the boundary the
 * scoreboard computes is deemed lost (for tcp_info and PRR's view of new losses).
 */
function markScoreboardLosses(c: Connection, r: LossRecovery): number {
  const boundary = c.scoreboard.lostBelow(c.sndMss);
  if (boundary === undefined) return 0;
  let newly = 0;
  for (const seg of r.segments.list) {
    if (seqGt(seg.end, boundary)) break;
    if (!seg.sacked && !seg.lost) {
      seg.lost = true;
      newly += 1;
    }
  }
  return newly;
}

/** Fast recovery begins on RACK's word (Linux's tcp_enter_recovery). */
export function enterRecovery(c: Connection, r: LossRecovery, nowUs: number, cause: string): void {
  const info = c.ackInfo(c.sndUna, 0, nowUs);
  const action = c.congestionEvent(cause, () => c.congestion.onLossDetected(info));
  if (action === 'go-back') {
    c.applyCongestionAction(nowUs, action);
    return;
  }
  if (prrActive(c)) return; // PRR lets out the fast retransmit itself (its first sndcnt)
  // RFC 6675 §5 (4.3): retransmit the first segment deemed lost at once.
  const lost = r.segments.firstToRetransmit();
  if (lost === undefined) return;
  r.pending.fastRetransmit = false;
  c.retransmitAt(nowUs, lost.start, Math.min(len(lost), c.sndMss), 'fast-retransmission');
}

/**
 * After the cumulative ACK was acted on (recovery may have ended): PRR sets cwnd for what this
 * ACK delivered (RFC 6937 §3; Linux's tcp_cong_control, which an ACK below SND.UNA skips).
 */
export function afterAck(c: Connection): void {
  const r = c.recovery;
  if (r === undefined) return;
  const a = r.pending.ack;
  r.pending.ack = undefined;
  if (a === undefined || a.old || r.prr === undefined) return;
  if (c.congestion.phase !== 'fast-recovery') return;
  const cwnd = prrOnAck(r.prr, {
    delivered: a.deliveredBytes,
    pipe: recoveryPipe(c, r),
    ssthresh: c.congestion.ssthresh,
    smss: c.sndMss,
    safeAck: a.unaAdvanced && a.newlyLost === 0,
  });
  if (cwnd !== undefined) c.congestion.setWindow(cwnd);
}

/** The pipe PRR compares with ssthresh: the records' with RACK, RFC 6675's without. */
function recoveryPipe(c: Connection, r: LossRecovery): number {
  return rackActive(c) ? r.segments.pipe() : c.scoreboard.pipe(c.sndUna, c.sndMax, c.sndMss);
}

/** An RTT sample of the retransmission timer's also feeds RACK.min_RTT (§6.2 step 1). */
export function onRttSample(c: Connection, rttUs: number, nowUs: number): void {
  if (c.recovery !== undefined) sampleMinRtt(c.recovery.rack, rttUs, nowUs);
}

/** The congestion phase changed: recovery episodes begin and end here. */
export function onPhaseChange(c: Connection, from: CongestionPhase, to: CongestionPhase): void {
  const r = c.recovery;
  if (r === undefined) return;
  if (to === 'fast-recovery') {
    // RFC 6937 §3: PRR starts; RFC 8985 §7.1: a new recovery resets the TLP episode.
    r.prr = prrActive(c) ? startPrr(seqDiff(c.sndMax, c.sndUna)) : undefined;
    r.tlp.endSeq = undefined;
    r.pending.fastRetransmit = true;
  } else if (to === 'loss-recovery') {
    r.prr = undefined;
    r.tlp.endSeq = undefined;
  } else if (inRecovery(from)) {
    r.prr = undefined;
    r.pending.entryRetransmitDue = false;
    onRecoveryEnd(r.rack); // RFC 8985 §6.2 step 4
  }
}

/** Linux's CA_Open (or CWR): nothing SACKed, lost or retransmitted, and not in recovery. */
export function isOpen(c: Connection, r: LossRecovery): boolean {
  if (inRecovery(c.congestion.phase)) return false;
  const counts = r.segments.counts();
  return (
    counts.sacked === 0 &&
    counts.lost === 0 &&
    counts.retrans === 0 &&
    r.segments.first?.everRetransmitted !== true
  );
}
