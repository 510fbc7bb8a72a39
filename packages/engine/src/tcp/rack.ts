/**
 * RACK (RFC 8985 §6): a segment is lost when a segment sent after it has been delivered and
 * more than RACK.rtt + RACK.reo_wnd has passed since it was sent. Time, not a count of
 * duplicate ACKs, decides; the reordering window lets reordered segments arrive first.
 * Where the RFC leaves a choice this follows Linux (net/ipv4/tcp_recovery.c).
 *
 * Invariants:
 * - RACK.xmit_ts/end_seq only move forward ("sent after" orders by time, then end sequence);
 * - the reordering window is never more than SRTT (§3.3.2), and zero until reordering has been
 *   seen when in recovery or once DupThresh segments are SACKed (§6.2 step 4);
 * - a segment is judged only if it was sent before RACK.segment, and marked lost once.
 */
import { seqGt, type SeqNum } from '../wire/seq.js';
import { SentSegments, type SentSegment } from './sent-segments.js';

/** Linux's TCP_TIMEOUT_MIN_US: the reordering timer waits this much longer than computed. */
export const RACK_TIMER_SLACK_US = 2000;
/** RACK.min_RTT is the minimum over this window (Linux's tcp_min_rtt_wlen, 300 s). */
const MIN_RTT_WINDOW_US = 300_000_000;
/** RFC 8985 §6.2 step 4: the reordering window stays widened for 16 recoveries. */
const REO_WND_PERSIST = 16;
/** Linux caps reo_wnd_steps (RACK.reo_wnd_mult) at 255. */
const MAX_REO_WND_MULT = 255;

export interface RackState {
  /** RACK.xmit_ts and RACK.end_seq: the latest-sent segment delivered so far (and its order). */
  xmitUs: number | undefined;
  order: number;
  endSeq: number;
  /** RACK.rtt: the RTT of the segment last delivered (§6.2 step 2). */
  rttUs: number;
  /** RACK.min_RTT (§6.2 step 1), and when it was measured. */
  minRttUs: number | undefined;
  minRttAtUs: number;
  /** A delivery moved RACK since loss detection last ran (Linux's rack.advanced). */
  advanced: boolean;
  /** RACK.reo_wnd_mult and RACK.reo_wnd_persist (§6.2 step 4). */
  reoWndMult: number;
  reoWndPersist: number;
  /** RACK.dsack_round: SND.NXT when the window last grew; undefined outside such a round. */
  dsackRound: number | undefined;
}

export function initialRack(): RackState {
  return {
    xmitUs: undefined,
    order: 0,
    endSeq: 0,
    rttUs: 0,
    minRttUs: undefined,
    minRttAtUs: 0,
    advanced: false,
    reoWndMult: 1,
    reoWndPersist: 0,
    dsackRound: undefined,
  };
}

/** When a segment was sent: its time, its place among the transmissions, and its end. */
interface Sending {
  xmitUs: number;
  order: number;
  end: SeqNum;
}

/**
 * RACK_sent_after (§6.2): sent later or, at the same time, ending later. A simulated clock puts
 * whole exchanges in one microsecond, where Linux's clock sees the retransmissions an ACK
 * triggers follow the new data an earlier ACK let out: the order of transmission settles a
 * tie first, the end sequence (the RFC's tie-break, for a burst) then.
 */
function sentAfter(a: Sending, b: Sending): boolean {
  if (a.xmitUs !== b.xmitUs) return a.xmitUs > b.xmitUs;
  if (a.order !== b.order) return a.order > b.order;
  return seqGt(a.end, b.end);
}

function rackSegment(rack: RackState): Sending | undefined {
  return rack.xmitUs === undefined
    ? undefined
    : { xmitUs: rack.xmitUs, order: rack.order, end: rack.endSeq as SeqNum };
}

/**
 * §6.2 step 1: RACK.min_RTT, the minimum RTT over the last 300 s (a new sample replaces it when
 * lower, or when the minimum is older than the window).
 */
export function sampleMinRtt(rack: RackState, rttUs: number, nowUs: number): void {
  if (
    rack.minRttUs === undefined ||
    rttUs <= rack.minRttUs ||
    nowUs - rack.minRttAtUs > MIN_RTT_WINDOW_US
  ) {
    rack.minRttUs = rttUs;
    rack.minRttAtUs = nowUs;
  }
}

/**
 * §6.2 step 2, for a segment this ACK delivered: RACK.rtt from it, and RACK.segment if it was
 * sent later. A retransmitted segment delivered sooner than min_RTT after its last
 * transmission may be the original's delivery, so it is ignored (Linux's tcp_rack_advance;
 * the TSecr test of the same step is not made). Like Linux, RACK.rtt follows every segment
 * that passes, RACK.segment only the latest sent.
 */
export function advance(rack: RackState, s: SentSegment, nowUs: number): void {
  const rttUs = nowUs - s.xmitUs;
  if (s.everRetransmitted && rttUs < (rack.minRttUs ?? 0)) return;
  rack.advanced = true;
  rack.rttUs = rttUs;
  const latest = rackSegment(rack);
  if (latest === undefined || sentAfter(s, latest)) {
    rack.xmitUs = s.xmitUs;
    rack.order = s.order;
    rack.endSeq = s.end;
  }
  if (!s.everRetransmitted) sampleMinRtt(rack, rttUs, nowUs);
}

/** What the reordering window depends on. */
export interface ReoWndInputs {
  /** Reordering was seen on this connection (Linux's reord_seen > 0). */
  reorderingSeen: boolean;
  /** In fast recovery or RTO recovery. */
  inRecovery: boolean;
  sackedSegments: number;
  /** DupThresh: Linux uses tp->reordering, 3 unless reordering was seen. */
  dupThresh: number;
  srttUs: number | undefined;
}

/**
 * RACK_update_reo_wnd (§6.2 step 4; Linux's tcp_rack_reo_wnd): zero until reordering is seen
 * when in recovery or once DupThresh segments are SACKed (the classic fast retransmit), else
 * RACK.reo_wnd_mult * min_RTT / 4, at most SRTT (§3.3.2).
 */
export function reoWnd(rack: RackState, inputs: ReoWndInputs): number {
  if (!inputs.reorderingSeen) {
    if (inputs.inRecovery) return 0;
    if (inputs.sackedSegments >= inputs.dupThresh) return 0;
  }
  if (rack.minRttUs === undefined || inputs.srttUs === undefined) return 0;
  return Math.min(Math.floor(rack.minRttUs / 4) * rack.reoWndMult, inputs.srttUs);
}

/**
 * RACK_detect_loss (§6.2 step 5; Linux's tcp_rack_detect_loss): every segment sent before
 * RACK.segment that has waited RACK.rtt + reo_wnd since it was sent is lost; for the others,
 * returns how long until the last of them is due (0: none), for the reordering timer. Lost
 * segments not yet retransmitted are not judged again.
 */
export function detectLoss(
  rack: RackState,
  segments: SentSegments,
  nowUs: number,
  reoWndUs: number,
): { lost: SentSegment[]; waitUs: number } {
  const lost: SentSegment[] = [];
  let waitUs = 0;
  const latest = rackSegment(rack);
  if (latest === undefined) return { lost, waitUs };
  for (const s of segments.list) {
    if (s.sacked || (s.lost && !s.retransInFlight)) continue;
    if (!sentAfter(latest, s)) continue;
    const remaining = s.xmitUs + rack.rttUs + reoWndUs - nowUs;
    if (remaining <= 0) {
      if (SentSegments.markLost(s)) lost.push(s);
    } else {
      waitUs = Math.max(waitUs, remaining);
    }
  }
  return { lost, waitUs };
}

/**
 * §6.2 step 4, on every ACK: a D-SACK grows the window by one step per round trip (a round ends
 * when SND.UNA passes the SND.NXT of its start) and keeps it for 16 recoveries. Returns whether
 * the window grew.
 */
export function onDsackRound(
  rack: RackState,
  una: SeqNum,
  sndNxt: SeqNum,
  dsack: boolean,
): boolean {
  if (rack.dsackRound !== undefined && !seqGt(rack.dsackRound as SeqNum, una)) {
    rack.dsackRound = undefined;
  }
  if (!dsack || rack.dsackRound !== undefined) return false;
  rack.dsackRound = sndNxt;
  rack.reoWndMult = Math.min(MAX_REO_WND_MULT, rack.reoWndMult + 1);
  rack.reoWndPersist = REO_WND_PERSIST;
  return true;
}

/** §6.2 step 4, on leaving fast or RTO recovery: after 16 without a D-SACK, back to one step. */
export function onRecoveryEnd(rack: RackState): void {
  if (rack.reoWndPersist > 0) rack.reoWndPersist -= 1;
  if (rack.reoWndPersist === 0) rack.reoWndMult = 1;
}

/**
 * §6.3, on a retransmission timeout: the first segment is lost, the others only if they have
 * waited RACK.rtt since they were sent (Linux's tcp_timeout_mark_lost, with no reordering
 * window); a retransmission they had in flight is lost with them. SACK tags are forgotten
 * first (RFC 2018 §8, as the scoreboard).
 */
export function markLostOnRto(rack: RackState, segments: SentSegments, nowUs: number): void {
  segments.forgetSacks();
  segments.list.forEach((s, i) => {
    if (i > 0 && s.xmitUs + rack.rttUs - nowUs > 0) return;
    s.lost = true;
    s.retransInFlight = false;
  });
}
