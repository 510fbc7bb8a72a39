/**
 * The segments in flight, one record per segment as it was sent: when each was last sent
 * (RFC 8985 §5.2 Segment.xmit_ts) and the three tags Linux keeps per packet in its
 * retransmission queue (tcp_sacktag_write_queue's comment): SACKED (the receiver holds it),
 * LOST (deemed lost, to be sent again) and RETRANS (a retransmission of it is in flight). RACK,
 * TLP, PRR and tcp_info count segments here, as Linux counts packets. The connection keeps one
 * such record whenever an option reads it (`keepsSegments`), and from what each ACK does to it
 * (`deliveryOf`) come what Linux's congestion control reads of the ACK:
 * - the RTT sample (ca_rtt_us, tcp_clean_rtx_queue and tcp_sacktag_one): the age of the
 *   highest segment the ACK newly SACKs, else of the highest it acknowledges in full that was
 *   not SACKed before; none when a segment it acknowledges was ever sent again (Karn, RFC 6298
 *   §3; Linux's FLAG_RETRANS_DATA_ACKED). HyStart and Linux's CUBIC take it from every ACK;
 * - the packets it delivers (tcp_newly_delivered): newly SACKed, and acknowledged in full
 *   without having been SACKed before, each counted once; Linux accounting grows cwnd by them.
 *
 * Invariants:
 * - records are sorted, contiguous and non-empty, from SND.UNA (or the first byte above it)
 *   to the highest sequence number sent; SYNs are not recorded, data and FIN are;
 * - a retransmission covering part of a record splits it, so each record was always sent whole;
 * - a record is SACKed only when a SACKed range covers all of it (Linux's tcp_match_skb_to_sack
 *   for a one-segment packet), and a SACKed record is neither LOST nor RETRANS;
 * - in flight counts a record once unless SACKed or LOST, and once more while RETRANS: Linux's
 *   tcp_packets_in_flight, which equals RFC 6675's pipe for the same tags.
 */
import type { SackBlock } from '../wire/options.js';
import { seq, seqDiff, seqGe, seqGt, seqLe, seqLt, type SeqNum } from '../wire/seq.js';
import type { EndpointOptions } from './options.js';

/**
 * Whether a connection with `options` keeps the record: loss recovery (RACK, TLP, PRR, D-SACK)
 * works on it, a slow-start exit heuristic takes an RTT sample from every ACK, Linux accounting
 * counts packets. Options from older snapshots may lack any of them.
 */
export function keepsSegments(options: Partial<EndpointOptions>): boolean {
  const exit = options.slowStartExit;
  return (
    options.rack === true ||
    options.tlp === true ||
    options.prr === true ||
    options.dsack === true ||
    exit === 'hystart' ||
    exit === 'hystart++' ||
    options.cwndAccounting === 'linux'
  );
}

export interface SentSegment {
  start: SeqNum;
  end: SeqNum;
  /** When it was last sent (RFC 8985 Segment.xmit_ts), in virtual µs. */
  xmitUs: number;
  /**
   * The connection's count of transmissions when it was last sent: orders segments sent in the
   * same microsecond, which Linux's clock would tell apart (see rack.ts).
   */
  order: number;
  /** Sent more than once (RFC 8985 Segment.retransmitted; Linux TCPCB_EVER_RETRANS). */
  everRetransmitted: boolean;
  /** A retransmission is in flight, neither delivered nor deemed lost (TCPCB_SACKED_RETRANS). */
  retransInFlight: boolean;
  /** The receiver reported holding it (TCPCB_SACKED_ACKED). */
  sacked: boolean;
  /** Deemed lost (RFC 8985 Segment.lost; TCPCB_LOST). */
  lost: boolean;
}

/** What an ACK did to the records: the ones it newly SACKed, and those it acknowledged. */
export interface AckTaken {
  sacked: SentSegment[];
  /** Every record the cumulative ACK removed, SACKed before or not. */
  removed: SentSegment[];
}

/** What Linux's congestion control reads of an ACK (see the header). */
export interface Delivery {
  /** Packets delivered (pkts_acked): newly SACKed, and acknowledged without a SACK before. */
  packets: number;
  /** ca_rtt_us; undefined when the ACK gives none. */
  rttUs: number | undefined;
}

/** The Delivery of an ACK that did `taken` to the records at `nowUs`. */
export function deliveryOf(taken: AckTaken, nowUs: number): Delivery {
  const acked = taken.removed.filter((s) => !s.sacked);
  // tcp_sacktag_one's last_sackt: the highest newly SACKed segment sent only once.
  const sackTimed = taken.sacked.filter((s) => !s.everRetransmitted).at(-1);
  // tcp_clean_rtx_queue's last_ackt, unless any segment it acknowledges was sent again.
  const resent = taken.removed.some((s) => s.everRetransmitted);
  const timed = sackTimed ?? (resent ? undefined : acked.at(-1));
  return {
    packets: taken.sacked.length + acked.length,
    rttUs: timed === undefined ? undefined : nowUs - timed.xmitUs,
  };
}

/**
 * A record as snapshots from before loss recovery kept them stored it: a stretch of sequence
 * space sent at one time, for the slow-start exit's RTT samples.
 */
export interface SentStretch {
  start: number;
  end: number;
  sentUs: number;
  resent: boolean;
}

export class SentSegments {
  /** Sorted by sequence number; see the invariants above. */
  list: SentSegment[] = [];

  static from(list: readonly (SentSegment | SentStretch)[]): SentSegments {
    const segments = new SentSegments();
    segments.list = list.map((s) =>
      'sentUs' in s
        ? {
            ...fresh(seq(s.start), seq(s.end), s.sentUs, 0),
            everRetransmitted: s.resent,
          }
        : { ...s },
    );
    return segments;
  }

  toState(): SentSegment[] {
    return this.list.map((s) => ({ ...s }));
  }

  get first(): SentSegment | undefined {
    return this.list[0];
  }

  get last(): SentSegment | undefined {
    return this.list.at(-1);
  }

  /**
   * [start, end) went out at `nowUs`: a new record for what was never sent, and for what was,
   * RFC 8985 §6.1: the new transmission time, and the retransmitted tags (Linux's
   * tcp_retransmit_skb sets TCPCB_RETRANS and TCPCB_SACKED_RETRANS).
   */
  sent(start: SeqNum, end: SeqNum, nowUs: number, order: number): void {
    const last = this.last;
    if (last === undefined || seqGe(start, last.end)) {
      this.list.push(fresh(start, end, nowUs, order));
      return;
    }
    this.split(start);
    this.split(end);
    for (const s of this.list) {
      if (seqLt(s.start, start)) continue;
      if (seqGe(s.start, end)) break;
      s.xmitUs = nowUs;
      s.order = order;
      s.everRetransmitted = true;
      s.retransInFlight = true;
      s.sacked = false;
    }
    const tail = this.last as SentSegment;
    if (seqGt(end, tail.end)) this.list.push(fresh(tail.end, end, nowUs, order));
  }

  /**
   * SND.UNA moved to `una`: the records below it leave. Returns those that had not been SACKed
   * (the ones this ACK delivered) and all that left.
   */
  acknowledge(una: SeqNum): { delivered: SentSegment[]; removed: SentSegment[] } {
    let count = 0;
    while (count < this.list.length && seqLe((this.list[count] as SentSegment).end, una)) count++;
    const removed = this.list.splice(0, count);
    const head = this.list[0];
    if (head !== undefined && seqLt(head.start, una)) {
      // Part of a segment acknowledged (a peer acknowledging mid-segment): what is left of it
      // stays one segment, as Linux keeps a one-packet skb whole until all of it is acked.
      head.start = una;
    }
    return { delivered: removed.filter((s) => !s.sacked), removed };
  }

  /**
   * Tags SACKED every record the SACKed `ranges` (sorted, disjoint) cover whole, clearing LOST
   * and RETRANS: a SACKed segment is not in the pipe (RFC 6675 §4 SetPipe). Linux keeps RETRANS
   * on a segment SACKed while its retransmission was not deemed lost (tcp_sacktag_one), and so
   * counts one more packet in flight until the cumulative ACK. Returns the newly SACKed records.
   */
  markSacked(ranges: readonly SackBlock[]): SentSegment[] {
    const newly: SentSegment[] = [];
    let r = 0;
    for (const s of this.list) {
      if (s.sacked) continue;
      while (r < ranges.length && seqLe((ranges[r] as SackBlock).right, s.start)) r++;
      const range = ranges[r];
      if (range === undefined) break;
      if (seqLe(range.left, s.start) && seqLe(s.end, range.right)) {
        s.sacked = true;
        s.lost = false;
        s.retransInFlight = false;
        newly.push(s);
      }
    }
    return newly;
  }

  /**
   * An ACK with the SACKed `ranges` (sorted, disjoint) and SND.UNA moving to `una` (undefined
   * when it does not move), taken in at once: what loss recovery does step by step.
   */
  take(ranges: readonly SackBlock[], una: SeqNum | undefined): AckTaken {
    const sacked = this.markSacked(ranges);
    return { sacked, removed: una === undefined ? [] : this.acknowledge(una).removed };
  }

  /** The records [start, end) covers whole (a D-SACK's). */
  covered(start: SeqNum, end: SeqNum): SentSegment[] {
    return this.list.filter((s) => seqLe(start, s.start) && seqLe(s.end, end));
  }

  /**
   * Marks `s` lost (Linux's tcp_mark_skb_lost): a segment already lost whose retransmission is
   * deemed lost too loses its RETRANS tag. Returns whether anything changed.
   */
  static markLost(s: SentSegment): boolean {
    if (s.sacked) return false;
    if (s.lost) {
      if (!s.retransInFlight) return false;
      s.retransInFlight = false;
      return true;
    }
    s.lost = true;
    return true;
  }

  /** RFC 2018 §8 after a timeout, as the scoreboard: the SACK tags are forgotten. */
  forgetSacks(): void {
    for (const s of this.list) s.sacked = false;
  }

  /** The first segment deemed lost and not yet sent again (Linux's tcp_xmit_retransmit_queue). */
  firstToRetransmit(): SentSegment | undefined {
    return this.list.find((s) => s.lost && !s.retransInFlight);
  }

  /** The end of the highest SACKed segment (RFC 8985 RACK.fack; Linux tcp_highest_sack_seq). */
  highestSacked(): SeqNum | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const s = this.list[i] as SentSegment;
      if (s.sacked) return s.end;
    }
    return undefined;
  }

  /** Linux's packet counts: packets_out, sacked_out, lost_out, retrans_out. */
  counts(): { out: number; sacked: number; lost: number; retrans: number } {
    let sacked = 0;
    let lost = 0;
    let retrans = 0;
    for (const s of this.list) {
      if (s.sacked) sacked++;
      if (s.lost) lost++;
      if (s.retransInFlight) retrans++;
    }
    return { out: this.list.length, sacked, lost, retrans };
  }

  /** Records whose end lies in (from, to]: packets_out from SND.UNA to the highest sent. */
  between(from: SeqNum, to: SeqNum): number {
    const first = this.first;
    const last = this.last;
    if (first === undefined || last === undefined) return 0;
    if (seqGt(first.end, from) && seqLe(last.end, to)) return this.list.length;
    let n = 0;
    for (const s of this.list) {
      if (seqGt(s.end, to)) break;
      if (seqGt(s.end, from)) n += 1;
    }
    return n;
  }

  /** Bytes in flight: tcp_packets_in_flight in bytes (RFC 6675 pipe for the same tags). */
  pipe(): number {
    let bytes = 0;
    for (const s of this.list) {
      const len = seqDiff(s.end, s.start);
      if (!s.sacked && !s.lost) bytes += len;
      if (s.retransInFlight) bytes += len;
    }
    return bytes;
  }

  /** Splits the record holding `at` strictly inside it into two with the same tags. */
  private split(at: SeqNum): void {
    const i = this.list.findIndex((s) => seqLt(s.start, at) && seqLt(at, s.end));
    if (i < 0) return;
    const s = this.list[i] as SentSegment;
    this.list.splice(i + 1, 0, { ...s, start: at });
    s.end = at;
  }
}

function fresh(start: SeqNum, end: SeqNum, nowUs: number, order: number): SentSegment {
  return {
    start,
    end,
    xmitUs: nowUs,
    order,
    everRetransmitted: false,
    retransInFlight: false,
    sacked: false,
    lost: false,
  };
}
