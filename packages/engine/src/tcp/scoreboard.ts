/**
 * The SACK scoreboard of RFC 6675: which octets above SND.UNA the peer has selectively
 * acknowledged, and HighRxt, how far retransmission has reached in the current recovery. From
 * it come IsLost(), the pipe estimate and NextSeg() (RFC 6675 §4). Ranges are kept sorted,
 * disjoint and merged, so there are as many as there are holes: a handful in practice.
 */
import type { SackBlock } from '../wire/options.js';
import { seqDiff, seqGt, seqLe, seqLt, type SeqNum } from '../wire/seq.js';
import { DUPACK_THRESHOLD } from './congestion/reno.js';

/** A hole NextSeg() chose: retransmit `len` octets from `seq`; `lost` when IsLost() says so. */
export interface Hole {
  seq: SeqNum;
  len: number;
  lost: boolean;
}

export interface ScoreboardState {
  sacked: SackBlock[];
  highRxt: SeqNum | undefined;
}

/** Ranges are replaced, never changed in place, so every empty scoreboard shares this one. */
const NO_RANGES: readonly SackBlock[] = [];

export class Scoreboard {
  /** SACKed octets above SND.UNA: sorted, disjoint, never adjacent. */
  sacked: readonly SackBlock[] = NO_RANGES;
  /** RFC 6675 §2 HighRxt (here the octet after it): undefined until recovery retransmits. */
  highRxt: SeqNum | undefined;

  static from(s: ScoreboardState): Scoreboard {
    const board = new Scoreboard();
    board.sacked = s.sacked.map((b) => ({ ...b }));
    board.highRxt = s.highRxt;
    return board;
  }

  toState(): ScoreboardState {
    return { sacked: this.sacked.map((b) => ({ ...b })), highRxt: this.highRxt };
  }

  /**
   * RFC 6675 §4 Update(): records the blocks of an arriving ACK and forgets what the
   * cumulative ACK now covers. Blocks outside [SND.UNA, SND.MAX] are clipped or ignored
   * (RFC 2018 §8: the receiver may renege, the cumulative ACK is what counts).
   */
  update(blocks: readonly SackBlock[] | undefined, una: SeqNum, sndMax: SeqNum): void {
    if (this.sacked.length > 0 && seqGt(una, this.sacked[0]!.left)) this.trim(una);
    if (blocks === undefined) return;
    for (const block of blocks) {
      const left = seqLt(block.left, una) ? una : block.left;
      if (seqLe(block.right, left) || seqGt(block.right, sndMax)) continue;
      this.add(left, block.right);
    }
  }

  /** RFC 2018 §8: after a retransmission timeout the SACKed bits are turned off. */
  clear(): void {
    this.sacked = NO_RANGES;
    this.highRxt = undefined;
  }

  /**
   * IsLost() (RFC 6675 §4) as a boundary: an unSACKed octet below the returned sequence number
   * has DupThresh discontiguous SACKed ranges, or more than (DupThresh - 1) * SMSS SACKed
   * octets, above it; none above it does. Undefined when nothing is lost.
   */
  lostBelow(smss: number): SeqNum | undefined {
    let sackedAbove = 0;
    for (let i = this.sacked.length - 1; i >= 0; i--) {
      const range = this.sacked[i]!;
      sackedAbove += seqDiff(range.right, range.left);
      const rangesAbove = this.sacked.length - i;
      if (rangesAbove >= DUPACK_THRESHOLD || sackedAbove > (DUPACK_THRESHOLD - 1) * smss) {
        return range.left;
      }
    }
    return undefined;
  }

  /** IsLost(SND.UNA + 1): the first unacknowledged segment is lost by the SACK rule. */
  firstSegmentLost(una: SeqNum, smss: number): boolean {
    const boundary = this.lostBelow(smss);
    return boundary !== undefined && seqLt(una, boundary);
  }

  /**
   * SetPipe() (RFC 6675 §4): the octets presumed in the network: every unSACKed octet in
   * [SND.UNA, SND.MAX) that is not lost, plus every unSACKed one retransmitted (below HighRxt).
   */
  pipe(una: SeqNum, sndMax: SeqNum, smss: number): number {
    const unsacked = (end: SeqNum) => seqDiff(end, una) - this.sackedBelow(end);
    const lostBoundary = this.lostBelow(smss);
    const lost = lostBoundary === undefined ? 0 : unsacked(lostBoundary);
    const retransmitted =
      this.highRxt === undefined || seqLe(this.highRxt, una) ? 0 : unsacked(this.highRxt);
    return unsacked(sndMax) - lost + retransmitted;
  }

  /**
   * NextSeg() rules (1) and (3) (RFC 6675 §4): the first unSACKed octet at or past HighRxt,
   * up to one SMSS and the next SACKed range; `lost` tells rule (1) from rule (3). Rule (2),
   * new data, is the caller's to try between them.
   */
  nextHole(una: SeqNum, sndMax: SeqNum, smss: number): Hole | undefined {
    let at = this.highRxt !== undefined && seqGt(this.highRxt, una) ? this.highRxt : una;
    let holeEnd = sndMax;
    for (const range of this.sacked) {
      if (seqLe(range.right, at)) continue;
      if (seqLe(range.left, at)) {
        at = range.right;
        continue;
      }
      holeEnd = range.left;
      break;
    }
    if (!seqLt(at, holeEnd)) return undefined;
    const lostBoundary = this.lostBelow(smss);
    return {
      seq: at,
      len: Math.min(smss, seqDiff(holeEnd, at)),
      lost: lostBoundary !== undefined && seqLt(at, lostBoundary),
    };
  }

  /** Records a retransmission ending at `end` (HighRxt only moves forward). */
  retransmitted(end: SeqNum): void {
    if (this.highRxt === undefined || seqGt(end, this.highRxt)) this.highRxt = end;
  }

  /** SACKed octets below `end` (all ranges lie above SND.UNA). */
  private sackedBelow(end: SeqNum): number {
    let total = 0;
    for (const range of this.sacked) {
      if (seqLe(end, range.left)) break;
      total += seqDiff(seqLt(range.right, end) ? range.right : end, range.left);
    }
    return total;
  }

  private trim(una: SeqNum): void {
    const kept = this.sacked.filter((range) => seqGt(range.right, una));
    if (kept.length > 0 && seqLt(kept[0]!.left, una))
      kept[0] = { left: una, right: kept[0]!.right };
    this.sacked = kept.length > 0 ? kept : NO_RANGES;
  }

  private add(left: SeqNum, right: SeqNum): void {
    // Most ACKs in a recovery repeat blocks already known: nothing to change then.
    if (this.sacked.some((r) => seqLe(r.left, left) && seqLe(right, r.right))) return;
    const merged: SackBlock[] = [];
    let block: SackBlock = { left, right };
    let placed = false;
    for (const range of this.sacked) {
      if (seqLt(range.right, block.left)) {
        merged.push(range);
      } else if (seqLt(block.right, range.left)) {
        if (!placed) merged.push(block);
        placed = true;
        merged.push(range);
      } else {
        block = {
          left: seqLt(range.left, block.left) ? range.left : block.left,
          right: seqGt(range.right, block.right) ? range.right : block.right,
        };
      }
    }
    if (!placed) merged.push(block);
    this.sacked = merged;
  }
}
