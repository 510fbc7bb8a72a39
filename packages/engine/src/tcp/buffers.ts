/** The send and receive buffers of a connection, as plain byte arrays addressed by sequence number. */
import { seqAdd, seqDiff, seqLe, type SeqNum } from '../wire/seq.js';

/**
 * The one empty byte array every empty buffer shares: buffers are never changed in place (they
 * are replaced), so sharing is safe, and an idle connection costs no array of its own.
 */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** A copy of `bytes` in a buffer of its own (allocate and set: several times faster than slice()). */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}

/** Appends `more` to `bytes`. */
export function concatBytes(bytes: Uint8Array, more: Uint8Array): Uint8Array {
  if (more.length === 0) return bytes;
  if (bytes.length === 0) return copyBytes(more);
  const out = new Uint8Array(bytes.length + more.length);
  out.set(bytes);
  out.set(more, bytes.length);
  return out;
}

/** A segment of the peer's data that arrived ahead of RCV.NXT, held for reassembly. */
export interface OutOfOrder {
  seq: SeqNum;
  data: Uint8Array;
}

/**
 * Inserts `data` at `seq` among the out-of-order segments, kept sorted and disjoint: bytes
 * already held are kept and duplicates discarded (RFC 9293 §3.10.7.4, seventh step). Segments
 * are stored as they came (never merged or copied), so an insertion costs a binary search
 * and a splice, whatever the amount held.
 */
export function insertOutOfOrder(
  queue: OutOfOrder[],
  rcvNxt: SeqNum,
  seq: SeqNum,
  data: Uint8Array,
): OutOfOrder[] {
  const offsetOf = (s: SeqNum) => seqDiff(s, rcvNxt);
  const start = offsetOf(seq);
  const end = start + data.length;
  // The first held segment that ends after `start`.
  let lo = 0;
  let hi = queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const held = queue[mid] as OutOfOrder;
    if (offsetOf(held.seq) + held.data.length <= start) lo = mid + 1;
    else hi = mid;
  }
  // Walk the held segments the new data overlaps; keep only the gaps between them.
  const pieces: OutOfOrder[] = [];
  let cursor = start;
  let i = lo;
  for (; i < queue.length && cursor < end; i++) {
    const held = queue[i] as OutOfOrder;
    const heldStart = offsetOf(held.seq);
    if (heldStart >= end) break;
    if (heldStart > cursor) {
      pieces.push({
        seq: seqAdd(rcvNxt, cursor),
        data: data.subarray(cursor - start, heldStart - start),
      });
    }
    cursor = Math.max(cursor, heldStart + held.data.length);
  }
  if (cursor < end)
    pieces.push({ seq: seqAdd(rcvNxt, cursor), data: data.subarray(cursor - start) });
  if (pieces.length === 0) return queue;
  // Pieces go between the segments they fill: find each one's place from `lo` on.
  for (const piece of pieces) {
    let at = lo;
    while (at < queue.length && offsetOf((queue[at] as OutOfOrder).seq) < offsetOf(piece.seq)) at++;
    queue.splice(at, 0, piece);
    lo = at + 1;
  }
  return queue;
}

/** The contiguous ranges the out-of-order segments cover, in sequence order. */
export function outOfOrderRanges(queue: OutOfOrder[]): { left: SeqNum; right: SeqNum }[] {
  const ranges: { left: SeqNum; right: SeqNum }[] = [];
  for (const held of queue) {
    const right = seqAdd(held.seq, held.data.length);
    const last = ranges.at(-1);
    if (last !== undefined && last.right === held.seq) last.right = right;
    else ranges.push({ left: held.seq, right });
  }
  return ranges;
}

/** Takes from the queue the bytes that now start at RCV.NXT; returns them and the rest. */
export function takeInOrder(
  queue: OutOfOrder[],
  rcvNxt: SeqNum,
): { data: Uint8Array; rest: OutOfOrder[] } {
  if (queue.length === 0) return { data: EMPTY_BYTES, rest: queue };
  let next = rcvNxt;
  const pieces: Uint8Array[] = [];
  let taken = 0;
  for (const held of queue) {
    const end = seqAdd(held.seq, held.data.length);
    if (seqLe(end, next)) {
      taken += 1; // wholly old
      continue;
    }
    if (!seqLe(held.seq, next)) break; // a gap: the rest stays
    pieces.push(held.data.subarray(seqDiff(next, held.seq)));
    next = end;
    taken += 1;
  }
  queue.splice(0, taken);
  if (pieces.length <= 1) return { data: pieces[0] ?? EMPTY_BYTES, rest: queue };
  const data = new Uint8Array(pieces.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const piece of pieces) {
    data.set(piece, offset);
    offset += piece.length;
  }
  return { data, rest: queue };
}
