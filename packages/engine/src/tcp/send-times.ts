/**
 * When each stretch of sequence space in flight was sent, so that every ACK of new data gives
 * an RTT sample. RFC 6298's estimator times one segment per round trip (`rttProbe`); the
 * slow-start exit heuristics need a sample from each ACK, as Linux's congestion control gets
 * one (tcp_clean_rtx_queue: `ca_rtt_us`, the RTT of the newest segment the ACK acknowledges).
 *
 * Invariants:
 * - stretches are in sequence order and do not overlap; new data extends the last one when it
 *   leaves at the same time;
 * - only sequence space above SND.UNA matters: acknowledged stretches are dropped at the next
 *   send;
 * - a stretch sent more than once is marked `resent`, and an ACK that covers any of it gives no
 *   sample (Karn, RFC 6298 §3; Linux: FLAG_RETRANS_DATA_ACKED).
 */
import { seqGe, seqGt, seqLe, seqLt, seq, type SeqNum } from '../wire/seq.js';

export interface SentStretch {
  start: number;
  end: number;
  /** When it last left (virtual µs). */
  sentUs: number;
  resent: boolean;
}

export class SendTimes {
  private stretches: SentStretch[] = [];

  static from(state: readonly SentStretch[]): SendTimes {
    const times = new SendTimes();
    times.stretches = state.map((s) => ({ ...s }));
    return times;
  }

  toState(): SentStretch[] {
    return this.stretches.map((s) => ({ ...s }));
  }

  /**
   * `start`..`end` left at `nowUs`; what lies below `sndMax` (the highest sequence sent before)
   * is a retransmission.
   */
  sent(start: SeqNum, end: SeqNum, nowUs: number, sndUna: SeqNum, sndMax: SeqNum): void {
    this.forget(sndUna);
    if (seqLt(start, sndMax)) this.markResent(start, seqLt(end, sndMax) ? end : sndMax);
    if (!seqGt(end, sndMax)) return;
    const from = seqLt(start, sndMax) ? sndMax : start;
    const last = this.stretches[this.stretches.length - 1];
    if (last !== undefined && last.end === from && last.sentUs === nowUs && !last.resent) {
      last.end = end;
    } else {
      this.stretches.push({ start: from, end, sentUs: nowUs, resent: false });
    }
  }

  /**
   * The RTT an ACK of `ack` measures, SND.UNA being `sndUna` before it: from when the newest
   * stretch it covers was sent; undefined when it covers nothing timed or anything resent.
   */
  sample(sndUna: SeqNum, ack: SeqNum, nowUs: number): number | undefined {
    if (!seqLt(sndUna, ack)) return undefined;
    let newest: SentStretch | undefined;
    for (const s of this.stretches) {
      if (seqGe(seq(s.start), ack)) break;
      if (seqLe(seq(s.end), sndUna)) continue;
      if (s.resent) return undefined;
      newest = s;
    }
    return newest === undefined ? undefined : nowUs - newest.sentUs;
  }

  private forget(sndUna: SeqNum): void {
    let n = 0;
    while (n < this.stretches.length && seqLe(seq(this.stretches[n]!.end), sndUna)) n++;
    if (n > 0) this.stretches.splice(0, n);
  }

  /** Splits the stretches at `start` and `end` and marks what lies between as resent. */
  private markResent(start: SeqNum, end: SeqNum): void {
    const out: SentStretch[] = [];
    for (const s of this.stretches) {
      const sStart = seq(s.start);
      const sEnd = seq(s.end);
      if (seqLe(sEnd, start) || seqGe(sStart, end)) {
        out.push(s);
        continue;
      }
      if (seqLt(sStart, start)) out.push({ ...s, end: start });
      const from = seqLt(sStart, start) ? start : sStart;
      const to = seqGt(sEnd, end) ? end : sEnd;
      out.push({ start: from, end: to, sentUs: s.sentUs, resent: true });
      if (seqGt(sEnd, end)) out.push({ ...s, start: end });
    }
    this.stretches = out;
  }
}
