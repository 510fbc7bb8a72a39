/**
 * D-SACK (RFC 2883): the receiver reports a segment it received twice in the first SACK block
 * of the next ACK; the sender learns from it that a retransmission was not needed (the
 * original arrived, late or reordered), which feeds its reordering estimate (RFC 3708, Linux's
 * tcp_check_dsack and tcp_sacktag_one) and RACK's reordering window (RFC 8985 §6.2 step 4).
 *
 * Invariants: a D-SACK block goes out in one ACK only, first, before the ordinary SACK blocks
 * and within the same limit on their number; a D-SACK is believed only for no more segments
 * than were ever retransmitted (Linux's tcp_dsack_seen).
 */
import type { SackBlock } from '../wire/options.js';
import { seqDiff, seqGe, seqGt, seqLe, seqLt, type SeqNum } from '../wire/seq.js';

/**
 * RFC 2883 §4 (receiver): the bytes of the arriving segment [seq, end) that were already
 * received, as the block to report: those below RCV.NXT (a duplicate of delivered data), else
 * the first held out of order that it repeats. Undefined when nothing was received twice.
 */
export function duplicateBlock(
  seq: SeqNum,
  end: SeqNum,
  rcvNxt: SeqNum,
  held: readonly SackBlock[],
): SackBlock | undefined {
  if (!seqLt(seq, end)) return undefined;
  if (seqLt(seq, rcvNxt)) return { left: seq, right: seqLt(end, rcvNxt) ? end : rcvNxt };
  for (const range of held) {
    const left = seqGt(range.left, seq) ? range.left : seq;
    const right = seqLt(range.right, end) ? range.right : end;
    if (seqLt(left, right)) return { left, right };
  }
  return undefined;
}

/**
 * RFC 2883 §4: the SACK option of an ACK that reports a duplicate: the D-SACK block first,
 * then the usual blocks (the one holding the duplicate among them comes first, by RFC 2018
 * §4 as the caller orders them), no more than `max` in all.
 */
export function withDsack(
  dsack: SackBlock,
  blocks: readonly SackBlock[],
  max: number,
): SackBlock[] {
  return [dsack, ...blocks].slice(0, max);
}

/**
 * RFC 2883 §5 (sender; Linux's tcp_check_dsack): the first block is a D-SACK when it lies below
 * the cumulative ACK, or inside the second block. Returns it, or undefined.
 */
export function dsackOf(
  blocks: readonly SackBlock[] | undefined,
  ack: SeqNum,
): SackBlock | undefined {
  const first = blocks?.[0];
  if (first === undefined || !seqLt(first.left, first.right)) return undefined;
  if (seqLt(first.left, ack)) return first;
  const second = blocks?.[1];
  if (second !== undefined && seqGe(first.left, second.left) && seqLe(first.right, second.right)) {
    return first;
  }
  return undefined;
}

/** How many segments a D-SACK block reports (at least one). */
export function dsackSegments(block: SackBlock, smss: number): number {
  return Math.max(1, Math.ceil(seqDiff(block.right, block.left) / smss));
}
