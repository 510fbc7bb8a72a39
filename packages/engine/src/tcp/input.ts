/**
 * SEGMENT ARRIVES (RFC 9293 §3.10.7) for a connection in SYN-SENT or a synchronized state.
 * CLOSED and LISTEN are handled by the host, which owns ports (see net/host.ts).
 * The checks run in the RFC's order; each early return names the rule it applies.
 */
import { Flag, hasFlag } from '../wire/flags.js';
import type { TcpSegment } from '../wire/segment.js';
import {
  seq,
  seqAdd,
  seqDiff,
  seqGt,
  seqInWindow,
  seqLe,
  seqLt,
  type SeqNum,
} from '../wire/seq.js';
import { concatBytes, insertOutOfOrder, outOfOrderRanges, takeInOrder } from './buffers.js';
import { Connection } from './connection.js';
import {
  delayedAckTimeoutUs,
  enterQuickAckMode,
  inQuickAckMode,
  onDataReceived,
} from './ack-policy.js';
import { ecnDataArrives, ecnEchoArrives, ecnSynAckArrives, ecnSynArrives } from './ecn.js';
import { duplicateBlock } from './dsack.js';
import { afterAck, onAckArrival, onRttSample, rackActive } from './loss-recovery.js';
import { sampleRtt } from './rtt.js';
import type { Delivery } from './sent-segments.js';
import { canReceiveData, carriesOurData } from './state.js';

/** SEG.LEN: data octets plus one for SYN and one for FIN. */
export function segmentLength(segment: TcpSegment): number {
  return (
    segment.payload.length +
    (hasFlag(segment.flags, Flag.SYN) ? 1 : 0) +
    (hasFlag(segment.flags, Flag.FIN) ? 1 : 0)
  );
}

export function segmentArrives(c: Connection, now: number, segment: TcpSegment): void {
  c.lastReceivedUs = now;
  c.counters.segmentsReceived += 1;
  noteArrival(c, now, segment);
  if (c.state === 'SYN-SENT') synSent(c, now, segment);
  else synchronized(c, now, segment);
  c.output(now, true); // an arrival pushes what `more` held (Linux tcp_data_snd_check)
}

/** RFC 7323 §4.3 (2): TS.Recent takes the TSval of a segment that covers Last.ACK.sent. */
function recordTsRecent(c: Connection, s: TcpSegment): void {
  const tsVal = s.options.ts?.val;
  if (c.timestamps && tsVal !== undefined && seqLe(s.seq, c.lastAckSent)) {
    if (c.tsRecent === undefined || !tsOlder(tsVal, c.tsRecent)) c.tsRecent = tsVal;
  }
}

/** What tcp_info reports of arrivals: the last ACK and data, the largest segment. */
function noteArrival(c: Connection, now: number, segment: TcpSegment): void {
  if (hasFlag(segment.flags, Flag.ACK)) c.stats.lastAckRecvUs = now;
  const len = segment.payload.length;
  if (len === 0) return;
  c.stats.lastDataRecvUs = now;
  c.stats.dataSegsIn += 1;
  if (len > (c.stats.rcvMss ?? 0)) c.stats.rcvMss = len;
}

/**
 * tcp_info's delivery rate (Linux's tcp_rate_gen, simplified to one sample at a time): once the
 * sampled segment is acknowledged, the bytes acknowledged since it was sent over the time since.
 */
function sampleDeliveryRate(c: Connection, now: number, ack: SeqNum): void {
  const sample = c.stats.rateSample;
  if (sample === undefined || !seqLe(seq(sample.end), ack)) return;
  c.stats.rateSample = undefined;
  const elapsed = now - sample.sentUs;
  const acked = Math.max(0, seqDiff(ack, c.iss) - 1) - sample.acked;
  if (elapsed > 0) c.stats.deliveryRate = Math.round((acked * 1_000_000) / elapsed);
}

function noteRtt(c: Connection, rttUs: number): void {
  if (c.stats.minRttUs === undefined || rttUs < c.stats.minRttUs) c.stats.minRttUs = rttUs;
}

/** An ACK at once; a duplicate one when an out-of-order or duplicate segment caused it. */
function ackNow(c: Connection, label?: 'duplicate-ack'): void {
  c.requestAck(label);
}

/** RFC 9293 §3.10.7.3. */
function synSent(c: Connection, now: number, s: TcpSegment): void {
  const ack = hasFlag(s.flags, Flag.ACK);
  const rst = hasFlag(s.flags, Flag.RST);
  const syn = hasFlag(s.flags, Flag.SYN);
  // First: the ACK must acknowledge our SYN: ISS < SEG.ACK =< SND.NXT.
  if (ack && (seqLe(s.ack, c.iss) || seqGt(s.ack, c.sndMax))) {
    if (!rst) c.emit(now, { flags: Flag.RST, seq: s.ack, ack: s.ack, len: 0 }); // <SEQ=SEG.ACK><CTL=RST>
    return;
  }
  // Second: a RST is accepted only with an acceptable ACK (RFC 5961 §3.2 for SYN-SENT).
  if (rst) {
    if (ack) c.fail('ECONNREFUSED', 'rcv RST'); // "error: connection reset"
    return;
  }
  // Fourth: the SYN.
  if (!syn) return; // neither SYN nor RST: drop
  c.irs = s.seq;
  c.rcvNxt = seqAdd(s.seq, 1);
  c.learnPeerMss(s.options);
  c.negotiateWindowScale(s.options, 'active'); // our SYN is out: its offer decides
  c.negotiateTimestamps(s.options);
  c.negotiateSack(s.options);
  if (ack) ecnSynAckArrives(c.ecn, s);
  else ecnSynArrives(c.ecn, c.options.ecn, s, 'simultaneous');
  if (ack) {
    acknowledge(c, now, s.ack);
    // Our SYN is acknowledged: ESTABLISHED, with the window of this segment.
    updateWindow(c, s, true);
    c.setState('ESTABLISHED', 'rcv SYN,ACK');
    c.onEstablished(now);
    ackNow(c);
    return;
  }
  // Simultaneous open (§3.5, Figure 8): SYN-SENT -> SYN-RECEIVED, send SYN,ACK for our ISS.
  c.sndWnd = s.window;
  c.maxSndWnd = Math.max(c.maxSndWnd, s.window);
  c.sndNxt = c.iss; // output() sends <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>
  c.cancelTimer('retransmit');
  c.setState('SYN-RECEIVED', 'rcv SYN (simultaneous open)');
}

/** Table 6 of §3.10.7.4: is the segment (partly) inside the receive window? */
export function acceptable(c: Connection, s: TcpSegment): boolean {
  const len = segmentLength(s);
  const wnd = c.rcvWnd;
  const windowEnd = seqAdd(c.rcvNxt, wnd);
  if (len === 0 && wnd === 0) return s.seq === c.rcvNxt;
  if (len === 0) return seqInWindow(s.seq, c.rcvNxt, windowEnd);
  if (wnd === 0) return false;
  const last = seqAdd(s.seq, len - 1);
  return seqInWindow(s.seq, c.rcvNxt, windowEnd) || seqInWindow(last, c.rcvNxt, windowEnd);
}

/** RFC 5961 §7: may another challenge ACK go out in this second? */
function mayChallenge(c: Connection, now: number): boolean {
  const limit = c.options.challengeAckLimit;
  if (limit === 0) return true;
  if (now - c.challengeAcks.windowStartUs >= 1_000_000)
    c.challengeAcks = { windowStartUs: now, count: 0 };
  if (c.challengeAcks.count >= limit) return false;
  c.challengeAcks.count += 1;
  return true;
}

function challengeAck(c: Connection, now: number): void {
  if (mayChallenge(c, now)) c.sendAck(now, 'challenge-ack');
}

/** §3.10.7.4: SYN-RECEIVED, ESTABLISHED, FIN-WAIT-1/2, CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT. */
function synchronized(c: Connection, now: number, s: TcpSegment): void {
  const rst = hasFlag(s.flags, Flag.RST);
  const syn = hasFlag(s.flags, Flag.SYN);
  const fin = hasFlag(s.flags, Flag.FIN);

  // Simultaneous open, step 6 of Figure 8: in SYN-RECEIVED after our own SYN, the peer's
  // SYN,ACK acknowledges our SYN. Its SYN lies just before RCV.NXT, so Table 6 would refuse it;
  // Linux accepts exactly this segment (tcp_validate_incoming, under RFC 5961 §4.2), and so do we.
  if (
    c.state === 'SYN-RECEIVED' &&
    !c.passive &&
    syn &&
    !rst &&
    hasFlag(s.flags, Flag.ACK) &&
    seqAdd(s.seq, 1) === c.rcvNxt &&
    s.ack === c.sndMax
  ) {
    acknowledge(c, now, s.ack);
    updateWindow(c, s, true);
    c.setState('ESTABLISHED', 'rcv SYN,ACK (simultaneous open)');
    c.onEstablished(now);
    return;
  }

  // TIME-WAIT: a retransmitted FIN means our last ACK was lost: ACK it again and restart the
  // 2 MSL timer (§3.10.7.4, eighth step; Linux does the same in tcp_timewait_state_process).
  if (c.state === 'TIME-WAIT' && fin && !rst && seqAdd(s.seq, segmentLength(s)) === c.rcvNxt) {
    c.sendAck(now, 'duplicate-ack');
    c.setTimer('time-wait', now + 2 * c.options.mslMs * 1000);
    return;
  }

  // RFC 7323 §5.3 R1 (PAWS): a segment whose timestamp is older than TS.Recent is an old
  // duplicate: acknowledge and drop it (a RST is exempt).
  const tsVal = s.options.ts?.val;
  if (
    c.timestamps &&
    !rst &&
    tsVal !== undefined &&
    c.tsRecent !== undefined &&
    tsOlder(tsVal, c.tsRecent)
  ) {
    reportDuplicate(c, s);
    ackNow(c, s.payload.length > 0 ? 'duplicate-ack' : undefined);
    return;
  }

  // First: sequence number check (Table 6).
  if (!acceptable(c, s)) {
    // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, then drop; for old data, a duplicate ACK.
    if (!rst) {
      reportDuplicate(c, s);
      ackNow(c, s.payload.length > 0 ? 'duplicate-ack' : undefined);
    }
    return;
  }

  // RFC 7323 §4.3: TS.Recent follows the segment that covers Last.ACK.sent. Linux updates it
  // only once the ACK proved valid (tcp_replace_ts_recent, after tcp_ack): below.
  const linuxRules = c.options.edgeRules === 'linux';
  if (!linuxRules) recordTsRecent(c, s);

  // Second: RST (RFC 5961 §3.2 as adopted by §3.10.7.4).
  if (rst) {
    if (s.seq !== c.rcvNxt) {
      challengeAck(c, now); // in the window but not exact: challenge ACK
      return;
    }
    onReset(c);
    return;
  }

  // Fourth: SYN in a synchronized state (RFC 5961 §4.2): challenge ACK.
  if (syn) {
    if (c.state === 'SYN-RECEIVED' && c.passive) {
      // A passive open goes back to LISTEN: this endpoint was the listener's, so it just ends.
      c.setState('CLOSED', 'rcv SYN in SYN-RECEIVED');
      return;
    }
    challengeAck(c, now);
    return;
  }

  // Fifth: the ACK field. Without ACK, drop.
  if (!hasFlag(s.flags, Flag.ACK)) return;

  if (c.state === 'SYN-RECEIVED') {
    if (seqLt(c.sndUna, s.ack) && seqLe(s.ack, c.sndMax)) {
      c.setState('ESTABLISHED', 'rcv ACK of SYN');
      c.onEstablished(now);
      updateWindow(c, s, true);
    } else {
      c.emit(now, { flags: Flag.RST, seq: s.ack, ack: s.ack, len: 0 }); // <SEQ=SEG.ACK><CTL=RST>
      return;
    }
  }

  // RFC 5961 §5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT].
  const oldestAcceptable = seqAdd(c.sndUna, -c.maxSndWnd);
  if (seqGt(s.ack, c.sndMax) && linuxRules) return; // Linux's tcp_ack: unsent data, discard
  if (seqGt(s.ack, c.sndMax) || seqLt(s.ack, oldestAcceptable)) {
    challengeAck(c, now); // an ACK for something not yet sent, or far too old: ACK and drop
    return;
  }
  if (linuxRules) recordTsRecent(c, s);
  // RFC 6675 §5: the scoreboard takes in the SACK blocks before the ACK is acted on.
  if (c.sackPermitted) {
    c.scoreboard.update(s.options.sack, seqGt(s.ack, c.sndUna) ? s.ack : c.sndUna, c.sndMax);
  }
  // RACK, TLP and D-SACK read the ACK before SND.UNA moves (loss-recovery.ts).
  onAckArrival(c, now, s);
  const delivery = c.takeAck(now, s.ack); // the RTT sample and packets Linux's growth reads
  // RFC 5681 §2: a duplicate ACK acknowledges nothing new, carries no data, SYN or FIN,
  // repeats the window, and arrives while data is outstanding.
  const duplicate =
    s.ack === c.sndUna &&
    s.payload.length === 0 &&
    !fin &&
    scaledWindow(c, s) === c.sndWnd &&
    seqGt(c.sndMax, c.sndUna);
  ecnEchoArrives(c, now, s); // RFC 3168 §6.1.2: before the ACK grows the window
  if (seqGt(s.ack, c.sndUna)) {
    acknowledge(c, now, s.ack, s, delivery);
  } else if (duplicate && carriesOurData(c.state)) {
    c.counters.duplicateAcks += 1;
    // With RACK, time rather than the count of duplicate ACKs starts fast recovery (RFC 8985).
    if (!rackActive(c)) {
      const info = c.ackInfo(s.ack, 0, now, delivery);
      const action = c.congestionEvent('duplicate ACKs', () => c.congestion.onDupAck(info));
      c.applyCongestionAction(now, action, true);
    }
  }
  afterAck(c); // PRR (RFC 6937) sets cwnd for what this ACK delivered
  updateWindow(c, s, false);
  c.restartKeepalive(now);

  switch (c.state) {
    case 'FIN-WAIT-1':
      if (c.finAcked()) c.setState('FIN-WAIT-2', 'rcv ACK of FIN');
      break;
    case 'CLOSING':
      if (c.finAcked()) {
        enterTimeWait(c, now, 'rcv ACK of FIN');
        return;
      }
      break;
    case 'LAST-ACK':
      if (c.finAcked()) {
        c.setState('CLOSED', 'rcv ACK of FIN');
        return;
      }
      break;
    case 'TIME-WAIT':
      return; // only a retransmitted FIN matters here (handled above)
    default:
      break;
  }

  // Seventh: segment text.
  receiveText(c, now, s);

  // Eighth: FIN, processed only once everything before it has arrived.
  if (fin && seqAdd(s.seq, segmentLength(s) - 1) === c.rcvNxt) onFin(c, now);
}

/** SND.UNA advances: drop acknowledged bytes, take an RTT sample, reset the retry count. */
function acknowledge(
  c: Connection,
  now: number,
  ack: SeqNum,
  segment?: TcpSegment,
  delivery?: Delivery,
): void {
  const info = c.ackInfo(
    ack,
    Math.max(0, Math.min(seqDiff(ack, c.sndQueueSeq), c.sndQueue.length)),
    now,
    delivery,
  );
  c.sndUna = ack;
  if (seqGt(ack, c.sndNxt)) c.sndNxt = ack;
  const dataAcked = Math.max(0, Math.min(seqDiff(ack, c.sndQueueSeq), c.sndQueue.length));
  if (dataAcked > 0) {
    c.sndQueue.consume(dataAcked);
    c.sndQueueSeq = seqAdd(c.sndQueueSeq, dataAcked);
  }
  sampleDeliveryRate(c, now, ack);
  const echoed = segment?.options.ts?.ecr;
  if (c.timestamps && echoed !== undefined && echoed !== 0) {
    // RFC 7323 §4: every ACK of new data echoes the TSval of the segment it acknowledges;
    // retransmissions included, so Karn's restriction is not needed.
    const rttMs = Math.max(1, Connection.tsClock(now) - echoed);
    c.rtt = sampleRtt(c.rtt, rttMs * 1000, c.rttLimits(), { una: ack, nxt: c.sndNxt });
    noteRtt(c, rttMs * 1000);
    c.rttProbe = undefined;
    onRttSample(c, rttMs * 1000, now);
  } else if (c.rttProbe !== undefined && seqLe(c.rttProbe.end, ack)) {
    c.rtt = sampleRtt(c.rtt, now - c.rttProbe.sentUs, c.rttLimits(), {
      una: ack,
      nxt: c.sndNxt,
    });
    noteRtt(c, now - c.rttProbe.sentUs);
    onRttSample(c, now - c.rttProbe.sentUs, now);
    c.rttProbe = undefined;
  }
  c.retries = 0;
  if (dataAcked > 0 || c.congestion.phase !== 'slow-start') {
    const action = c.congestionEvent('new ACK', () => c.congestion.onAck(info));
    c.applyCongestionAction(now, action);
  }
  // RFC 6298 §5.3: new data acknowledged: restart the timer (output() re-arms it if needed).
  c.cancelTimer('retransmit');
}

/** Timestamps compare modulo 2^32 like sequence numbers (RFC 7323 §5.2). */
function tsOlder(a: number, b: number): boolean {
  return seqLt(seq(a), seq(b));
}

/** SEG.WND in bytes: shifted by the peer's scale except in a SYN (RFC 7323 §2.2-2.3). */
function scaledWindow(c: Connection, s: TcpSegment): number {
  return hasFlag(s.flags, Flag.SYN) ? s.window : s.window * (1 << c.sndShift); // shift <= 14
}

/** The send window update rule of §3.10.7.4 (SND.WL1, SND.WL2). */
function updateWindow(c: Connection, s: TcpSegment, force: boolean): void {
  const newer = seqLt(c.sndWl1, s.seq) || (c.sndWl1 === s.seq && seqLe(c.sndWl2, s.ack));
  if (!force && !newer) return;
  c.sndWnd = scaledWindow(c, s);
  c.sndWl1 = s.seq;
  c.sndWl2 = s.ack;
  c.maxSndWnd = Math.max(c.maxSndWnd, s.window);
}

function onReset(c: Connection): void {
  switch (c.state) {
    case 'SYN-RECEIVED':
      if (c.passive)
        c.setState('CLOSED', 'rcv RST'); // the listener stays in LISTEN
      else c.fail('ECONNREFUSED', 'rcv RST');
      return;
    case 'ESTABLISHED':
    case 'FIN-WAIT-1':
    case 'FIN-WAIT-2':
    case 'CLOSE-WAIT':
      c.fail('ECONNRESET', 'rcv RST');
      return;
    case 'TIME-WAIT':
      if (c.options.rfc1337) return; // RFC 1337 §3 F1: ignore RST in TIME-WAIT
      c.setState('CLOSED', 'rcv RST');
      return;
    default:
      c.setState('CLOSED', 'rcv RST'); // CLOSING, LAST-ACK
  }
}

function receiveText(c: Connection, now: number, s: TcpSegment): void {
  if (s.payload.length === 0) return;
  if (!canReceiveData(c.state)) return; // CLOSE-WAIT, CLOSING, LAST-ACK: the peer sent a FIN already
  if (c.appClosed) {
    // Data for an application that closed: it can never be read. Reset, as Linux does; Linux
    // builds that reset from the segment, <SEQ=SEG.ACK><CTL=RST> (tcp_v4_send_reset after
    // tcp_reset, LINUX_MIB_TCPABORTONDATA), not from our SND.NXT.
    const fromSegment = c.options.edgeRules === 'linux' && hasFlag(s.flags, Flag.ACK);
    c.abort(now, 'data after close', fromSegment ? s.ack : undefined);
    return;
  }
  const ecnAck = ecnDataArrives(c.ecn, s); // RFC 3168 §6.1.3: CWR and CE
  // Keep only the part inside the window (§3.10.7.4: trim to the window).
  const start = Math.max(0, seqDiff(c.rcvNxt, s.seq));
  const room = seqDiff(seqAdd(c.rcvNxt, c.rcvWnd), s.seq);
  const end = Math.max(start, Math.min(s.payload.length, room));
  const data = start === 0 && end === s.payload.length ? s.payload : s.payload.subarray(start, end);
  if (start > 0) reportDuplicate(c, s); // partly a duplicate (RFC 2883 §4)
  if (data.length === 0) {
    ackNow(c, 'duplicate-ack'); // a duplicate: ACK at once (RFC 5681 §4.2)
    return;
  }
  const seqOfData = seqAdd(s.seq, start);
  if (c.options.ackPolicy === 'linux') {
    onDataReceived(c.ackState, now, c.ackContext());
    // A first CE: two quick ACKs, the sender's window may be small (__tcp_ecn_check_ce).
    if (ecnAck === 'quick-ack') enterQuickAckMode(c.ackState, c.ackContext(), 2);
  }
  if (seqOfData !== c.rcvNxt) {
    const repeated = reportDuplicate(c, s);
    c.outOfOrder = insertOutOfOrder(c.outOfOrder, c.rcvNxt, seqOfData, data);
    // RFC 2018 §4, and RFC 2883 §4 for a duplicate: the block holding it comes next.
    c.lastOutOfOrderSeq = repeated ?? seqOfData;
    ackNow(c, 'duplicate-ack'); // out of order: a duplicate ACK at once (RFC 5681 §4.2)
    return;
  }
  const fillsGap = c.outOfOrder.length > 0;
  const { data: following, rest } = takeInOrder(c.outOfOrder, seqAdd(c.rcvNxt, data.length));
  c.outOfOrder = rest;
  const delivered = concatBytes(data, following);
  c.readable.append(delivered, false); // payloads are never changed after they are sent
  c.rcvNxt = seqAdd(c.rcvNxt, delivered.length);
  c.counters.bytesDelivered += delivered.length;
  c.rcvWnd = Math.max(0, c.rcvWnd - delivered.length);
  c.traceApp('delivered', delivered.length);
  // Full-sized: the MSS both SYNs agreed less the options in every segment (c.sndMss), which is
  // what the peer's full segments carry (Linux estimates the same size as rcv_mss). A segment
  // larger than that (a peer offloading segmentation) counts as the full segments it holds.
  c.unackedSegments += Math.floor(data.length / c.sndMss);
  if (c.options.ackPolicy === 'linux') {
    linuxAckCheck(c, now, fillsGap || ecnAck === 'ack-now');
    return;
  }
  if (fillsGap || ecnAck !== 'none' || c.options.delayedAckMs === 0 || c.unackedSegments >= 2) {
    ackNow(c); // RFC 9293 §3.8.6.3: at least every second full-sized segment; gaps filled at once
  } else if (c.timers['delayed-ack'] === undefined) {
    c.setTimer('delayed-ack', now + c.options.delayedAckMs * 1000);
  }
}

/**
 * RFC 2883 §4 (Linux's tcp_dsack_set): with D-SACK on, the part of an arriving segment already
 * received goes in the first SACK block of the ACK it draws. Returns where it starts.
 */
function reportDuplicate(c: Connection, s: TcpSegment): SeqNum | undefined {
  if (!c.options.dsack || !c.sackPermitted || s.payload.length === 0) return undefined;
  const block = duplicateBlock(
    s.seq,
    seqAdd(s.seq, s.payload.length),
    c.rcvNxt,
    outOfOrderRanges(c.outOfOrder),
  );
  if (block !== undefined) c.dsackBlock = block;
  return block?.left;
}

/**
 * __tcp_ack_snd_check() (Linux): at once for two full segments, in quick-ACK mode, or when a
 * gap was filled; otherwise the delayed ACK, its timer set as tcp_send_delayed_ack() sets it.
 */
function linuxAckCheck(c: Connection, now: number, fillsGap: boolean): void {
  if (
    fillsGap ||
    c.options.delayedAckMs === 0 ||
    c.unackedSegments >= 2 ||
    inQuickAckMode(c.ackState)
  ) {
    ackNow(c);
    return;
  }
  const timeout = delayedAckTimeoutUs(c.ackState, c.ackContext(), c.options.delayedAckMs * 1000);
  const armed = c.timers['delayed-ack'];
  // An older timer stands; one about to expire is not worth waiting for.
  if (armed !== undefined && armed <= now + timeout / 4) ackNow(c);
  else if (armed === undefined || now + timeout < armed) c.setTimer('delayed-ack', now + timeout);
}

function onFin(c: Connection, now: number): void {
  c.rcvNxt = seqAdd(c.rcvNxt, 1);
  c.peerFinished = true;
  c.traceApp('eof', undefined);
  ackNow(c);
  switch (c.state) {
    case 'SYN-RECEIVED':
    case 'ESTABLISHED':
      c.setState('CLOSE-WAIT', 'rcv FIN');
      return;
    case 'FIN-WAIT-1':
      if (c.finAcked()) enterTimeWait(c, now, 'rcv FIN');
      else c.setState('CLOSING', 'rcv FIN (simultaneous close)');
      return;
    case 'FIN-WAIT-2':
      enterTimeWait(c, now, 'rcv FIN');
      return;
    default:
      return; // CLOSE-WAIT, CLOSING, LAST-ACK: remain
  }
}

function enterTimeWait(c: Connection, now: number, cause: string): void {
  c.setState('TIME-WAIT', cause);
  c.setTimer('time-wait', now + 2 * c.options.mslMs * 1000); // 2 MSL (§3.10.7.4)
}
