/**
 * Tail loss probe (RFC 8985 §7): when a flight's last segments are lost, no ACK comes back to
 * start fast recovery and only the retransmission timer would. A probe sent after about two
 * RTTs (the PTO) draws an ACK whose SACK lets RACK find the losses; the ACK of a probe that
 * was a retransmission also says whether it repaired a loss (§7.4). Linux: tcp_output.c
 * (tcp_schedule_loss_probe, tcp_send_loss_probe) and tcp_input.c (tcp_process_tlp_ack).
 *
 * Invariants: at most one probe is outstanding (an episode lasts from the probe until §7.4
 * ends it); a probe's PTO never falls after the retransmission timeout it stands in for.
 */
import { seqGt, seqLt, type SeqNum } from '../wire/seq.js';

/**
 * RFC 8985 §7.2 TLP.max_ack_delay (WCDelAckT, 200 ms): added to the PTO when one segment is
 * in flight, for a receiver that delays its ACK. Linux adds tcp_rto_min, 200 ms by default.
 */
export const TLP_MAX_ACK_DELAY_US = 200_000;
/** Linux adds TCP_TIMEOUT_MIN (2 ms) to the PTO of a flight of several segments. */
const PTO_SLACK_US = 2000;
/** §7.2: with no RTT sample yet, the PTO is one second (Linux's TCP_TIMEOUT_INIT). */
const PTO_WITHOUT_RTT_US = 1_000_000;

export interface TlpState {
  /** TLP.end_seq (Linux's tlp_high_seq): SND.NXT after the probe; undefined outside an episode. */
  endSeq: number | undefined;
  /** TLP.is_retrans: the probe sent old data again. */
  isRetrans: boolean;
}

export function initialTlp(): TlpState {
  return { endSeq: undefined, isRetrans: false };
}

/**
 * TLP_calc_PTO (§7.2): 2 * SRTT, plus TLP.max_ack_delay when one segment is in flight (Linux
 * adds 2 ms otherwise), or 1 s without an RTT sample; never later than the retransmission
 * timeout would fire (`rtoLeftUs` from now; Linux ignores an RTO already past).
 */
export function probeTimeout(
  srttUs: number | undefined,
  segmentsOut: number,
  rtoLeftUs: number,
): number {
  let pto = PTO_WITHOUT_RTT_US;
  if (srttUs !== undefined) {
    pto = 2 * srttUs + (segmentsOut === 1 ? TLP_MAX_ACK_DELAY_US : PTO_SLACK_US);
  }
  return rtoLeftUs > 0 ? Math.min(pto, rtoLeftUs) : pto;
}

/** What an ACK tells about the probe (§7.4). */
export interface ProbeAck {
  ack: SeqNum;
  /** The ACK moved SND.UNA. */
  unaAdvanced: boolean;
  /** It carried data, a FIN or a window update: not a duplicate ACK (Linux's FLAG_NOT_DUP). */
  notDup: boolean;
  /** It SACKed new data. */
  dataSacked: boolean;
  /** Its D-SACK block reports the probe itself (it ends at TLP.end_seq, one segment long). */
  dsackOfProbe: boolean;
}

/**
 * TLP_process_ack (§7.4.2; Linux's tcp_process_tlp_ack). Returns `loss` when the ACK shows the
 * probe repaired a loss, for one congestion response (§7.4.2), `ended` when the episode ended
 * without one, `none` otherwise.
 */
export function onProbeAck(tlp: TlpState, a: ProbeAck): 'none' | 'ended' | 'loss' {
  if (tlp.endSeq === undefined || seqLt(a.ack, tlp.endSeq as SeqNum)) return 'none';
  if (!tlp.isRetrans) {
    tlp.endSeq = undefined; // a probe of new data was delivered
    return 'ended';
  }
  if (a.dsackOfProbe) {
    tlp.endSeq = undefined; // the original and the probe both arrived: nothing was lost
    return 'ended';
  }
  if (seqGt(a.ack, tlp.endSeq as SeqNum)) {
    tlp.endSeq = undefined; // the probe repaired the single loss of the tail
    return 'loss';
  }
  if (!a.unaAdvanced && !a.notDup && !a.dataSacked) {
    tlp.endSeq = undefined; // a plain duplicate ACK: the original and the probe arrived
    return 'ended';
  }
  return 'none';
}
