/**
 * The numbers of Linux's tcp_info about loss recovery (tcpi_ca_state, tcpi_sacked, tcpi_lost,
 * tcpi_retrans, tcpi_reordering, tcpi_reord_seen, tcpi_dsack_dups), counted in segments as
 * Linux counts packets: from the per-segment records when the loss recovery options are on,
 * else estimated from the RFC 6675 scoreboard.
 */
import { seqDiff, seqLt, type SeqNum } from '../wire/seq.js';
import type { Connection } from './connection.js';
import { DUPACK_THRESHOLD } from './congestion/reno.js';
import { isOpen } from './loss-recovery.js';
import type { CaState } from './tcp-info.js';

/** The loss-recovery numbers of Linux's tcp_info, in segments. */
export interface LossState {
  /** tcpi_ca_state: open, disorder, cwr, recovery or loss (CWR only comes with ECN). */
  caState: CaState;
  /** tcpi_unacked: segments sent and not cumulatively acknowledged. */
  unacked: number;
  /** tcpi_sacked */
  sacked: number;
  /** tcpi_lost */
  lost: number;
  /** tcpi_retrans: retransmissions in flight, neither delivered nor deemed lost. */
  retrans: number;
  /** tcpi_total_retrans: every segment sent again. */
  totalRetrans: number;
  /** tcpi_reordering: the reordering degree, 3 until reordering is measured (Linux's tp->reordering). */
  reordering: number;
  /** tcpi_reord_seen: times reordering was seen. */
  reordSeen: number;
  /** tcpi_dsack_dups: segments reported received twice by D-SACK. */
  dsackDups: number;
}

/** The numbers of Linux's tcp_info about loss recovery (see `LossState`). */
export function lossState(c: Connection): LossState {
  const r = c.recovery;
  const phase = c.congestion.phase;
  if (r === undefined) return estimatedLossState(c);
  const counts = r.segments.counts();
  let caState: CaState = 'open';
  if (phase === 'fast-recovery') caState = 'recovery';
  else if (phase === 'loss-recovery') caState = 'loss';
  else if (phase === 'cwr')
    caState = 'cwr'; // an ECN-Echo cut the window (tcp_enter_cwr)
  else if (!isOpen(c, r)) caState = 'disorder';
  return {
    caState,
    unacked: counts.out,
    sacked: counts.sacked,
    lost: counts.lost,
    retrans: counts.retrans,
    totalRetrans: c.counters.retransmissions,
    reordering: r.reordering,
    reordSeen: r.reordSeen,
    dsackDups: r.dsackDups,
  };
}

/**
 * Without the records (every option off), the same numbers estimated from the RFC 6675
 * scoreboard, in whole segments of the send MSS.
 */
function estimatedLossState(c: Connection): LossState {
  const segments = (bytes: number) => Math.ceil(bytes / c.sndMss);
  const sackedBytes = c.scoreboard.sacked.reduce((sum, b) => sum + seqDiff(b.right, b.left), 0);
  const boundary = c.scoreboard.lostBelow(c.sndMss);
  const flight = seqDiff(c.sndMax, c.sndUna);
  const unsackedBelow = (end: SeqNum) =>
    seqDiff(end, c.sndUna) -
    c.scoreboard.sacked.reduce(
      (sum, b) => sum + Math.max(0, seqDiff(seqLt(b.right, end) ? b.right : end, b.left)),
      0,
    );
  const lostBytes = boundary === undefined ? 0 : unsackedBelow(boundary);
  return {
    caState: c.caState(),
    unacked: segments(flight),
    sacked: segments(sackedBytes),
    lost: segments(lostBytes),
    retrans: 0,
    totalRetrans: c.counters.retransmissions,
    reordering: DUPACK_THRESHOLD,
    reordSeen: 0,
    dsackDups: 0,
  };
}
