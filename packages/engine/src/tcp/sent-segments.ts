/**
 * The data segments in flight and when each left: Linux's retransmission queue as far as
 * congestion control reads it. From it come, for every ACK:
 * - an RTT sample (Linux's ca_rtt_us, tcp_clean_rtx_queue and tcp_sacktag_one): the age of the
 *   highest segment the ACK newly SACKs, else of the highest it acknowledges in full that was
 *   not SACKed before; none when a segment it acknowledges was resent (Karn, RFC 6298 §3;
 *   Linux's FLAG_RETRANS_DATA_ACKED). RFC 6298's estimator times one segment per round trip
 *   (`rttProbe`); the slow-start exit heuristics and Linux's CUBIC want a sample per ACK;
 * - the packets it delivers (tcp_newly_delivered): those it acknowledges in full that were not
 *   SACKed before, plus those its SACK blocks cover for the first time, each counted once, as
 *   Linux accounting grows cwnd by them;
 * - the packets out between two sequence numbers (packets_out, tcp_packets_in_flight).
 * Kept only when an option needs it (`slowStartExit`, `cwndAccounting: 'linux'`).
 *
 * Invariants:
 * - one entry per data segment sent and not yet cumulatively acknowledged, in sequence order:
 *   each entry's end is after the previous one's, and after SND.UNA;
 * - a segment sent again takes the place of the sequence space it covers; entries it covers in
 *   part are cut at its edges (Linux splits an skb it resends in part, tcp_fragment), and it is
 *   marked `resent`;
 * - `sacked` is set once the peer's SACK blocks covered the whole segment and stays set (as
 *   Linux keeps TCPCB_SACKED_ACKED across a timeout) until the segment is sent again.
 */
import type { SackBlock } from '../wire/options.js';
import { seqGt, seqLe, seqLt, type SeqNum } from '../wire/seq.js';
import type { EndpointOptions } from './options.js';

/**
 * Whether a connection with `options` keeps its segments: a slow-start exit heuristic needs an
 * RTT sample from every ACK, Linux accounting counts packets. Options from older snapshots may
 * lack either.
 */
export function keepsSegments(options: Partial<EndpointOptions>): boolean {
  const exit = options.slowStartExit;
  return exit === 'hystart' || exit === 'hystart++' || options.cwndAccounting === 'linux';
}

export interface SentSegment {
  /** The segment's first sequence number and the one after its last octet. */
  start: number;
  end: number;
  /** When it last left (virtual µs). */
  sentUs: number;
  /** It covers octets sent before. */
  resent: boolean;
  /** The peer's SACK blocks covered it (absent: not, as in snapshots from before SACK counted). */
  sacked?: boolean;
}

/** What one ACK delivered. */
export interface Delivery {
  /** Segments newly SACKed, and acknowledged in full without having been SACKed before. */
  packets: number;
  /** Linux's ca_rtt_us (see above); undefined when the ACK gives none. */
  rttUs: number | undefined;
}

export class SentSegments {
  private segments: SentSegment[] = [];

  static from(state: readonly SentSegment[]): SentSegments {
    const out = new SentSegments();
    out.segments = state.map((p) => ({ ...p }));
    return out;
  }

  toState(): SentSegment[] {
    return this.segments.map((p) => ({ ...p }));
  }

  /** A data segment [start, end) left at `nowUs`. */
  sent(start: SeqNum, end: SeqNum, nowUs: number): void {
    const all = this.segments;
    const last = all[all.length - 1];
    if (last === undefined || seqLe(last.end as SeqNum, start)) {
      all.push({ start, end, sentUs: nowUs, resent: false }); // new data
      return;
    }
    // Sent before: it replaces the entries it overlaps, cut at its edges.
    let first = 0;
    while (first < all.length && seqLe(all[first]!.end as SeqNum, start)) first += 1;
    let past = first;
    while (past < all.length && seqLt(all[past]!.start as SeqNum, end)) past += 1;
    const pieces: SentSegment[] = [];
    const head = all[first];
    if (head !== undefined && past > first && seqLt(head.start as SeqNum, start)) {
      pieces.push({ ...head, end: start });
    }
    pieces.push({ start, end, sentUs: nowUs, resent: true });
    const tail = all[past - 1];
    if (tail !== undefined && past > first && seqGt(tail.end as SeqNum, end)) {
      pieces.push({ ...tail, start: end });
    }
    all.splice(first, past - first, ...pieces);
  }

  /**
   * An ACK arrived: the peer's SACK blocks now `blocks` (sorted, disjoint), SND.UNA moving to
   * `ack`. Marks what the blocks newly cover, drops what `ack` covers in full, and says what
   * was delivered and the RTT it measures.
   */
  deliver(blocks: readonly SackBlock[], ack: SeqNum, nowUs: number): Delivery {
    const sacked = this.sack(blocks);
    const all = this.segments;
    let count = 0;
    let delivered = 0;
    let resent = false;
    let newest: SentSegment | undefined;
    for (; count < all.length && seqLe(all[count]!.end as SeqNum, ack); count += 1) {
      const p = all[count]!;
      resent ||= p.resent;
      if (p.sacked === true) continue;
      delivered += 1;
      newest = p;
    }
    all.splice(0, count);
    // tcp_clean_rtx_queue: a SACK sample takes precedence over the cumulative one.
    const timed = sacked.newest ?? (resent ? undefined : newest);
    return {
      packets: delivered + sacked.count,
      rttUs: timed === undefined ? undefined : nowUs - timed.sentUs,
    };
  }

  /** Segments whose end lies in (from, to]: packets_out from SND.UNA to the highest sent. */
  between(from: SeqNum, to: SeqNum): number {
    const all = this.segments;
    const first = all[0];
    const last = all[all.length - 1];
    if (first === undefined || last === undefined) return 0;
    if (seqGt(first.end as SeqNum, from) && seqLe(last.end as SeqNum, to)) return all.length;
    let n = 0;
    for (const p of all) {
      const end = p.end as SeqNum;
      if (seqGt(end, to)) break;
      if (seqGt(end, from)) n += 1;
    }
    return n;
  }

  /**
   * Marks the segments `blocks` cover in full: how many are new, and the highest of them that
   * was sent once (tcp_sacktag_one's last_sackt).
   */
  private sack(blocks: readonly SackBlock[]): { count: number; newest: SentSegment | undefined } {
    let count = 0;
    let newest: SentSegment | undefined;
    let b = 0;
    for (const p of this.segments) {
      while (b < blocks.length && seqLe(blocks[b]!.right, p.start as SeqNum)) b += 1;
      const block = blocks[b];
      if (block === undefined) break;
      const covered = seqLe(block.left, p.start as SeqNum) && seqLe(p.end as SeqNum, block.right);
      if (covered && p.sacked !== true) {
        p.sacked = true;
        count += 1;
        if (!p.resent) newest = p;
      }
    }
    return { count, newest };
  }
}
