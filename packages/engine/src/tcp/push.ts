/**
 * Where PSH goes (option `pushFlag`).
 *
 * `rfc`: RFC 9293 §3.9.1.2 sets PUSH on the last segment made from a pushed SEND; the engine
 * pushes every SEND except one made with `more`, so PSH is on the segment that empties the
 * send queue unless the last bytes queued came with `more`.
 *
 * `linux`: what Linux puts on the wire, from net/ipv4/tcp.c and tcp_output.c:
 * - a write without MSG_MORE marks the end of the data it queued (tcp_push, tcp_mark_push), and
 *   so does a write that has queued more than half the peer's largest window since the last
 *   mark (forced_push, checked each time a TSO-sized buffer fills). The next write's first
 *   bytes, when they extend that same unsent buffer, take the mark away again
 *   (tcp_sendmsg_locked clears PSH on the buffer it first copies into);
 * - what is sent at one moment leaves in TSO/GSO packets (tso.ts); __tcp_transmit_skb sets PSH
 *   on every packet of two segments or more, and a packet ending at a mark carries it
 *   (tso_fragment and tcp_fragment keep PSH on the second part only); GSO (tcp_gso_segment)
 *   leaves it on the last segment of the packet. The engine sends segments, so PSH lands on
 *   each packet's last segment, as on Linux's wire;
 * - a retransmission carries PSH only when it ends at a mark;
 * - data sent by the probe timer when a small window or a cork holds it back carries PSH
 *   (tcp_write_wakeup).
 *
 * Invariants: marks are ascending sequence numbers past SND.UNA (older ones are dropped) and
 * never beyond the end of the queued data; the state is plain JSON.
 */
import { seq, seqAdd, seqDiff, seqGt, seqLe, type SeqNum } from '../wire/seq.js';
import { cwndQuota, tsoSegments, type TsoInput } from './tso.js';

export interface PushState {
  /** Where PSH marks end data, ascending. */
  marks: number[];
  /** Linux's pushed_seq: the end of the data queued at the last mark. */
  pushedSeq: number;
  /** Where the last TSO-sized buffer of queued data began (Linux's write queue tail). */
  tailStart: number;
  /** The largest send window seen (Linux's max_window), in bytes. */
  maxWindow: number;
  /** The last bytes queued came with `more`. */
  tailMore: boolean;
}

export function noPush(start: SeqNum = seq(0)): PushState {
  return { marks: [], pushedSeq: start, tailStart: start, maxWindow: 0, tailMore: false };
}

export function copyPush(p: PushState): PushState {
  return { ...p, marks: [...p.marks] };
}

/** One application write, as the send queue took it. */
export interface Write {
  /** The end of the queued data before this write (Linux's write_seq). */
  from: SeqNum;
  /** Bytes taken. */
  length: number;
  /** MSG_MORE: the application has more to send at once. */
  more: boolean;
  /** Data below this was sent before (Linux keeps it in the retransmission queue). */
  sentBelow: SeqNum;
  /** The send MSS. */
  mss: number;
  /** For the size of the buffers Linux queues (tcp_xmit_size_goal). */
  tso: TsoInput;
}

/**
 * Records where Linux would mark PSH for this write (tcp_sendmsg_locked, then tcp_push). The
 * data fills the unsent buffer at the tail first, then buffers of the size goal; forced_push
 * is checked as each buffer fills with more data to come.
 */
export function recordWrite(p: PushState, w: Write): void {
  if (w.length === 0) return;
  p.tailMore = w.more;
  const goal = sizeGoal(p, w);
  const half = p.maxWindow >> 1;
  const forced = (at: SeqNum) => seqGt(at, seqAdd(seq(p.pushedSeq), half));
  let writeSeq = w.from;
  let left = w.length;
  const open = laterOf(seq(p.tailStart), w.sentBelow);
  const room = seqGt(writeSeq, open) ? goal - seqDiff(writeSeq, open) : 0;
  if (room > 0) {
    unmark(p, writeSeq); // the unsent buffer this write extends loses its PSH
    const copy = Math.min(room, left);
    writeSeq = seqAdd(writeSeq, copy);
    left -= copy;
    if (left > 0 && forced(writeSeq)) mark(p, writeSeq);
  }
  while (left > 0) {
    // New buffers of `goal` from here; the last one holds what is left over.
    const full = Math.ceil(left / goal) - 1; // buffers with more data after them
    const toForce = seqDiff(seqAdd(seq(p.pushedSeq), half), writeSeq);
    const k = toForce < 0 ? 1 : Math.floor(toForce / goal) + 1; // first buffer end past it
    if (k <= full) {
      writeSeq = seqAdd(writeSeq, k * goal);
      left -= k * goal;
      mark(p, writeSeq);
      continue;
    }
    p.tailStart = seqAdd(writeSeq, full * goal);
    writeSeq = seqAdd(writeSeq, left);
    left = 0;
  }
  if (!w.more || forced(writeSeq)) mark(p, writeSeq);
}

/**
 * Linux's tcp_xmit_size_goal: TSO-sized buffers, at most half the largest window the peer
 * offered (tcp_bound_to_half_wnd), at least one MSS.
 */
function sizeGoal(p: PushState, w: Write): number {
  const tso = tsoSegments(w.tso) * w.mss;
  const half = p.maxWindow > 536 ? p.maxWindow >> 1 : p.maxWindow;
  const bounded = half > 0 ? Math.min(tso, half) : tso;
  return Math.max(w.mss, Math.floor(bounded / w.mss) * w.mss);
}

function laterOf(a: SeqNum, b: SeqNum): SeqNum {
  return seqGt(a, b) ? a : b;
}

function mark(p: PushState, at: SeqNum): void {
  p.pushedSeq = at;
  const last = p.marks.at(-1);
  if (last === undefined || seqGt(at, seq(last))) p.marks.push(at);
}

function unmark(p: PushState, at: SeqNum): void {
  if (p.marks.at(-1) === at) p.marks.pop();
}

/** Keeps up with the connection: the largest send window, and the marks SND.UNA has passed. */
export function observe(p: PushState, sndWnd: number, sndUna: SeqNum): void {
  if (sndWnd > p.maxWindow) p.maxWindow = sndWnd;
  pruneMarks(p, sndUna);
}

/** Drops the marks SND.UNA has passed. */
function pruneMarks(p: PushState, sndUna: SeqNum): void {
  let drop = 0;
  while (drop < p.marks.length && seqLe(seq(p.marks[drop] as number), sndUna)) drop += 1;
  if (drop > 0) p.marks.splice(0, drop);
}

export function endsAtMark(p: PushState, end: SeqNum): boolean {
  return p.marks.includes(end);
}

/** A data segment sent in one output pass, in the order sent. */
export interface SentData {
  seq: SeqNum;
  len: number;
  /** Below the highest sequence number sent before. */
  retransmission: boolean;
  /** Sent by the probe timer past a small window or a cork (tcp_write_wakeup). */
  wakeup: boolean;
  /** Bytes in flight just before it was sent (the pipe in SACK recovery). */
  inFlight: number;
}

/**
 * PSH for each data segment of one output pass, as Linux's packets put it (`linux`): the pass
 * is cut into packets as tso.ts says, a packet of two segments or more has PSH on its last
 * segment, and so has a segment ending at a mark; retransmissions only at a mark; wakeup
 * sends always. `undefined` entries stand for segments without data, which end a packet.
 */
export function linuxPush(
  p: PushState,
  sent: readonly (SentData | undefined)[],
  tso: TsoInput,
): boolean[] {
  const perPacket = tsoSegments(tso);
  const cwndSegments = Math.max(1, Math.floor(tso.cwnd / tso.mss));
  const push: boolean[] = [];
  let size = 0; // the packet being filled: its planned segments and those sent
  let count = 0;
  for (let i = 0; i < sent.length; i++) {
    const d = sent[i];
    if (d === undefined) {
      push.push(false);
      count = 0;
      continue;
    }
    const end = seqAdd(d.seq, d.len);
    if (d.retransmission || d.wakeup) {
      push.push(d.wakeup || endsAtMark(p, end));
      count = 0;
      continue;
    }
    if (count === 0) {
      const inFlight = Math.ceil(d.inFlight / tso.mss);
      size = Math.min(perPacket, cwndQuota(cwndSegments, inFlight));
    }
    count += 1;
    const next = sent[i + 1];
    const continues =
      next !== undefined && !next.retransmission && !next.wakeup && next.seq === end;
    const marked = endsAtMark(p, end); // a marked buffer ends there: so does the packet
    const last = count >= size || !continues || marked;
    push.push((last && count >= 2) || marked);
    if (last) count = 0;
  }
  return push;
}
