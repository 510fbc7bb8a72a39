/**
 * The transmit timers of RACK-TLP (RFC 8985 §8): the retransmission timer, RACK's reordering
 * timer and TLP's probe timeout share one slot, as in Linux (icsk_pending): arming one of the
 * latter two stands it in for the retransmission timer, and the RTO comes back when it fires.
 * What each does when it fires is here too.
 *
 * Invariants: at most one of `retransmit`, `reorder` and `loss-probe` is armed; a PTO is armed
 * only while Linux would be in CA_Open (nothing SACKed, lost or retransmitted, no recovery);
 * nothing is armed once nothing is outstanding.
 */
import { seqAdd, seqDiff, seqGt } from '../wire/seq.js';
import type { Connection } from './connection.js';
import {
  detectLosses,
  enterRecovery,
  isOpen,
  len,
  rackActive,
  tlpActive,
  type LossRecovery,
} from './loss-recovery.js';
import { prrOnAck } from './prr.js';
import { markLostOnRto } from './rack.js';
import { carriesOurData } from './state.js';
import { probeTimeout } from './tlp.js';

/**
 * RACK's reordering timer expired (§6.2 step 5; Linux's tcp_rack_reo_timeout): what has now
 * waited long enough is lost; a first loss starts fast recovery, PRR counting one segment
 * delivered (as Linux does) so that the fast retransmit goes out.
 */
export function onReorderTimeout(c: Connection, nowUs: number): void {
  const r = c.recovery;
  if (r === undefined || !rackActive(c) || !carriesOurData(c.state)) return;
  if (c.congestion.phase === 'loss-recovery') return;
  const { newlyLost } = detectLosses(c, r, nowUs);
  if (newlyLost > 0 && c.congestion.phase !== 'fast-recovery') {
    enterRecovery(c, r, nowUs, 'RACK reordering timeout');
    if (r.prr !== undefined) {
      const cwnd = prrOnAck(r.prr, {
        delivered: c.sndMss,
        pipe: r.segments.pipe(),
        ssthresh: c.congestion.ssthresh,
        smss: c.sndMss,
        safeAck: false,
      });
      if (cwnd !== undefined) c.congestion.setWindow(cwnd);
    }
  }
  if (c.timers.reorder === undefined) r.pending.rtoFromHead = true;
}

/** Linux's tcp_snd_wnd_test: the next new segment fits in the peer's window. */
function newSegmentFits(c: Connection): boolean {
  const available = c.sndQueue.length - seqDiff(c.sndNxt, c.sndQueueSeq);
  const room = c.sndWnd - seqDiff(c.sndNxt, c.sndUna);
  return available > 0 && room >= Math.min(available, c.sndMss);
}

/**
 * The PTO expired (§7.3; Linux's tcp_send_loss_probe): one probe, new data if the peer's window
 * takes it (regardless of cwnd and Nagle), else the last segment again; then the RTO from now.
 * While an earlier probe's episode lasts (§7.4), no new probe.
 */
export function onLossProbeTimeout(c: Connection, nowUs: number): void {
  const r = c.recovery;
  if (r === undefined || !tlpActive(c) || !carriesOurData(c.state)) return;
  if (r.tlp.endSeq !== undefined) {
    r.pending.rtoFromHead = true;
    return;
  }
  let sent = false;
  r.tlp.isRetrans = false;
  if (newSegmentFits(c)) {
    sent = c.sendDataSegment(nowUs, c.sndMss, 'loss-probe');
  } else {
    const last = r.segments.last;
    if (last !== undefined) {
      const size = Math.min(len(last), c.sndMss);
      sent = c.retransmitAt(nowUs, seqAdd(last.end, -size), size, 'loss-probe') > 0;
      r.tlp.isRetrans = sent;
    }
  }
  if (!sent) {
    r.pending.rtoFromHead = true;
    return;
  }
  r.tlp.endSeq = c.sndNxt; // TLP.end_seq = SND.NXT
  c.cancelTimer('retransmit');
  c.setTimer('retransmit', nowUs + c.rtt.rtoUs);
}

/** A retransmission timeout (§6.3): RACK's marks, and the end of any probe episode. */
export function onRetransmitTimeout(c: Connection, nowUs: number): void {
  const r = c.recovery;
  if (r === undefined) return;
  markLostOnRto(r.rack, r.segments, nowUs);
  r.tlp.endSeq = undefined;
  c.cancelTimer('reorder');
  c.cancelTimer('loss-probe');
}

/**
 * RFC 8985 §7.2 and §8 (Linux's tcp_schedule_loss_probe, tcp_rearm_rto): once per output, the
 * one transmit timer: nothing while nothing is outstanding; the reordering timer if RACK armed
 * it; else a PTO when a probe may be sent and new data went out or was acknowledged (never
 * later than the RTO would be); else the retransmission timer.
 */
export function armTransmitTimer(c: Connection, nowUs: number): void {
  const r = c.recovery as LossRecovery;
  const pending = r.pending;
  const outstanding = seqGt(c.sndMax, c.sndUna);
  if (!outstanding) {
    c.cancelTimer('retransmit'); // RFC 6298 §5.2
    c.cancelTimer('reorder');
    c.cancelTimer('loss-probe');
  } else if (c.timers.reorder === undefined) {
    const probe = tlpActive(c) && carriesOurData(c.state) && isOpen(c, r);
    if (probe && (pending.probeAfterSend || pending.probeAfterAck)) {
      const head = r.segments.first;
      const rtoLeft =
        pending.probeAfterSend && head !== undefined
          ? head.xmitUs + c.rtt.rtoUs - nowUs
          : c.rtt.rtoUs;
      c.cancelTimer('retransmit');
      c.setTimer('loss-probe', nowUs + probeTimeout(c.rtt.srttUs, r.segments.list.length, rtoLeft));
    } else if (!probe) {
      c.cancelTimer('loss-probe');
    }
    if (c.timers['loss-probe'] === undefined && c.timers.retransmit === undefined) {
      const head = r.segments.first;
      const fromHead = pending.rtoFromHead && head !== undefined;
      const at = fromHead ? Math.max(nowUs + 1, head.xmitUs + c.rtt.rtoUs) : nowUs + c.rtt.rtoUs;
      c.setTimer('retransmit', at); // RFC 6298 §5.1
    }
  }
  pending.probeAfterSend = false;
  pending.probeAfterAck = false;
  pending.rtoFromHead = false;
  pending.fastRetransmit = false;
  pending.entryRetransmitDue = false; // normally taken by this output already
}
