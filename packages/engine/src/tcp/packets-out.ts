/**
 * The data in flight as Linux counts it: in packets (segments), not bytes. Linux keeps its
 * congestion window in packets (tp->snd_cwnd) and grows it by the packets an ACK delivers; its
 * retransmission queue remembers when each segment was last sent, and an ACK's RTT sample is
 * the age of the newest segment it acknowledges (tcp_clean_rtx_queue's ca_rtt_us). This is that
 * queue, kept only for endpoints with `cwndAccounting: 'linux'`.
 *
 * An ACK delivers the segments it acknowledges that were not SACKed before, plus those its SACK
 * blocks cover for the first time, each counted once (tcp_newly_delivered): growth after a
 * recovery or a timeout does not count again what the peer already reported.
 *
 * Invariants:
 * - `packets` holds one entry per data segment sent and not yet cumulatively acknowledged, in
 *   sequence order: each entry's end is after the previous one's, and after SND.UNA;
 * - `sacked` is set once the peer's SACK blocks covered the whole segment, and stays set (as
 *   Linux keeps TCPCB_SACKED_ACKED across a timeout) until the segment is sent again;
 * - a segment sent again over sequence space already here replaces the entries it covers and is
 *   marked retransmitted, so an ACK that covers it gives no RTT sample (Karn, RFC 6298 §3;
 *   Linux's FLAG_RETRANS_DATA_ACKED).
 */
import type { SackBlock } from '../wire/options.js';
import { seqGt, seqLe, type SeqNum } from '../wire/seq.js';

export interface SentPacket {
  /** The segment's first sequence number and the one after its last octet. */
  start: number;
  end: number;
  /** When it was last sent (virtual µs). */
  sentUs: number;
  /** It covers octets sent before. */
  retransmitted: boolean;
  /** The peer's SACK blocks covered it. */
  sacked: boolean;
}

/** What one ACK acknowledged in full. */
export interface PacketsAcked {
  /** Segments it acknowledged that were not SACKed before. */
  packets: number;
  /** Linux's ca_rtt_us: the newest such segment's age; none if any acknowledged was resent. */
  rttUs: number | undefined;
}

export class PacketsOut {
  private packets: SentPacket[] = [];

  static from(state: SentPacket[]): PacketsOut {
    const out = new PacketsOut();
    out.packets = state.map((p) => ({ ...p }));
    return out;
  }

  toState(): SentPacket[] {
    return this.packets.map((p) => ({ ...p }));
  }

  /** A data segment [start, end) left now. */
  sent(start: SeqNum, end: SeqNum, nowUs: number): void {
    const all = this.packets;
    const last = all[all.length - 1];
    if (last === undefined || seqLe(last.end as SeqNum, start)) {
      all.push({ start, end, sentUs: nowUs, retransmitted: false, sacked: false }); // new data
      return;
    }
    // Entries ending at or before `start` stay; those ending within (start, end] are replaced.
    let first = 0;
    while (first < all.length && seqLe(all[first]!.end as SeqNum, start)) first += 1;
    let past = first;
    while (past < all.length && seqLe(all[past]!.end as SeqNum, end)) past += 1;
    const retransmitted = first < all.length;
    all.splice(first, past - first, { start, end, sentUs: nowUs, retransmitted, sacked: false });
  }

  /** An ACK moved SND.UNA to `ack`: the segments it covers in full leave the queue. */
  acknowledge(ack: SeqNum, nowUs: number): PacketsAcked {
    const all = this.packets;
    let count = 0;
    let delivered = 0;
    let resent = false;
    let newest: SentPacket | undefined;
    for (; count < all.length && seqLe(all[count]!.end as SeqNum, ack); count += 1) {
      const p = all[count]!;
      resent ||= p.retransmitted;
      if (p.sacked) continue;
      delivered += 1;
      newest = p;
    }
    all.splice(0, count);
    const rttUs = newest === undefined || resent ? undefined : nowUs - newest.sentUs;
    return { packets: delivered, rttUs };
  }

  /** Marks the segments `blocks` (sorted, disjoint) cover in full; returns how many are new. */
  sacked(blocks: readonly SackBlock[]): number {
    let marked = 0;
    let b = 0;
    for (const p of this.packets) {
      while (b < blocks.length && seqLe(blocks[b]!.right, p.start as SeqNum)) b += 1;
      const block = blocks[b];
      if (block === undefined) break;
      const covered = seqLe(block.left, p.start as SeqNum) && seqLe(p.end as SeqNum, block.right);
      if (covered && !p.sacked) {
        p.sacked = true;
        marked += 1;
      }
    }
    return marked;
  }

  /** Segments whose end lies in (from, to]: packets_out from SND.UNA to the highest sent. */
  between(from: SeqNum, to: SeqNum): number {
    const all = this.packets;
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
}
