/** The send and receive buffers of a connection, as plain byte arrays addressed by sequence number. */
import { seqAdd, seqDiff, seqLe, type SeqNum } from '../wire/seq.js';

/**
 * The one empty byte array every empty buffer shares: buffers are never changed in place (they
 * are replaced), so sharing is safe, and an idle connection costs no array of its own.
 */
export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/** Appends `more` to `bytes`. */
export function concatBytes(bytes: Uint8Array, more: Uint8Array): Uint8Array {
  if (more.length === 0) return bytes;
  if (bytes.length === 0) return more.slice();
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
 * Inserts `data` at `seq` among the out-of-order segments, keeping them sorted and disjoint
 * (bytes already held are kept, duplicates discarded: RFC 9293 §3.10.7.4, seventh step).
 */
export function insertOutOfOrder(
  queue: OutOfOrder[],
  rcvNxt: SeqNum,
  seq: SeqNum,
  data: Uint8Array,
): OutOfOrder[] {
  const offsetOf = (s: SeqNum) => seqDiff(s, rcvNxt);
  let start = offsetOf(seq);
  let end = start + data.length;
  let bytes = data;
  const kept: OutOfOrder[] = [];
  for (const held of queue) {
    const heldStart = offsetOf(held.seq);
    const heldEnd = heldStart + held.data.length;
    if (heldEnd < start || heldStart > end) {
      kept.push(held); // neither overlapping nor adjacent
      continue;
    }
    const mergedStart = Math.min(start, heldStart);
    const merged = new Uint8Array(Math.max(end, heldEnd) - mergedStart);
    merged.set(bytes, start - mergedStart);
    merged.set(held.data, heldStart - mergedStart); // bytes already held win over duplicates
    start = mergedStart;
    end = mergedStart + merged.length;
    bytes = merged;
  }
  kept.push({ seq: seqAdd(rcvNxt, start), data: bytes });
  return kept.sort((a, b) => offsetOf(a.seq) - offsetOf(b.seq));
}

/** Takes from the queue the bytes that now start at RCV.NXT; returns them and the rest. */
export function takeInOrder(
  queue: OutOfOrder[],
  rcvNxt: SeqNum,
): { data: Uint8Array; rest: OutOfOrder[] } {
  let next = rcvNxt;
  let data: Uint8Array = EMPTY_BYTES;
  const rest: OutOfOrder[] = [];
  for (const held of queue) {
    const end = seqAdd(held.seq, held.data.length);
    if (seqLe(end, next)) continue; // wholly old
    if (seqLe(held.seq, next)) {
      data = concatBytes(data, held.data.subarray(seqDiff(next, held.seq)));
      next = end;
    } else {
      rest.push(held);
    }
  }
  return { data, rest };
}
