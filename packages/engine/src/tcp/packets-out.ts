/**
 * The data in flight as Linux counts it: in packets (segments), not bytes. Linux keeps its
 * congestion window in packets (tp->snd_cwnd) and grows it by the packets an ACK delivers; its
 * retransmission queue remembers when each segment was last sent, and an ACK's RTT sample is
 * the age of the newest segment it acknowledges (tcp_clean_rtx_queue's ca_rtt_us). This is that
 * queue, kept only for endpoints with `cwndAccounting: 'linux'`.
 *
 * Invariants:
 * - `packets` holds one entry per data segment sent and not yet cumulatively acknowledged, in
 *   sequence order: each entry's end is after the previous one's, and after SND.UNA;
 * - a segment sent again over sequence space already here replaces the entries it covers and is
 *   marked retransmitted, so an ACK that covers it gives no RTT sample (Karn, RFC 6298 §3;
 *   Linux's FLAG_RETRANS_DATA_ACKED).
 */
import { seqGt, seqLe, type SeqNum } from '../wire/seq.js';

export interface SentPacket {
  /** The sequence number after the segment's last octet. */
  end: number;
  /** When it was last sent (virtual µs). */
  sentUs: number;
  /** It covers octets sent before. */
  retransmitted: boolean;
}

/** What one ACK acknowledged in full. */
export interface PacketsAcked {
  packets: number;
  /** Linux's ca_rtt_us: the newest acknowledged segment's age; none if any was resent. */
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
    let first = 0; // the first entry this segment reaches into (entries before end at or before start)
    while (first < all.length && seqLe(all[first]!.end as SeqNum, start)) first += 1;
    let past = first; // entries ending within (start, end] are covered by it
    while (past < all.length && seqLe(all[past]!.end as SeqNum, end)) past += 1;
    const retransmitted = first < all.length;
    all.splice(first, past - first, { end, sentUs: nowUs, retransmitted });
  }

  /** An ACK moved SND.UNA to `ack`: the segments it covers in full leave the queue. */
  acknowledge(ack: SeqNum, nowUs: number): PacketsAcked {
    const all = this.packets;
    let count = 0;
    let resent = false;
    while (count < all.length && seqLe(all[count]!.end as SeqNum, ack)) {
      resent ||= all[count]!.retransmitted;
      count += 1;
    }
    const newest = all[count - 1];
    all.splice(0, count);
    const rttUs = newest === undefined || resent ? undefined : nowUs - newest.sentUs;
    return { packets: count, rttUs };
  }

  /** Segments whose end lies in (from, to]: packets_out from SND.UNA to the highest sent. */
  between(from: SeqNum, to: SeqNum): number {
    let n = 0;
    for (const p of this.packets) {
      const end = p.end as SeqNum;
      if (seqGt(end, to)) break;
      if (seqGt(end, from)) n += 1;
    }
    return n;
  }
}
