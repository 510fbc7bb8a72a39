// RACK-TLP (RFC 8985) as segment exchanges: a sender with SACK, the peer played by hand, a
// 100 ms RTT from the handshake (so RACK.min_RTT = SRTT = 100 ms), MSS 1000, numbered from 1.
// Scenarios follow RFC 8985's own examples and Linux's packetdrill scripts (named beside them).
import { describe, expect, it } from 'vitest';
import { Simulation } from '../src/sim/simulation.js';
import { Lone } from './lone.js';
import { SackSender, sackSender } from './sack-sender.js';

const RACK_TLP = { rack: true, tlp: true } as const;
/** What the `linux` profile turns on, with CUBIC as packetdrill's defaults.sh sets it. */
const LINUX = { rack: true, tlp: true, prr: true, dsack: true, congestion: 'cubic' } as const;

describe("RFC 8985 §3's example of RACK-TLP in action", () => {
  it('a tail loss probe draws the SACK that lets RACK repair P1 and P2, then the lost retransmission of P1', () => {
    const s = sackSender(RACK_TLP);
    // 1. Send P0, P1, P2, P3; P1, P2, P3 are lost.
    s.write(4000);
    expect(s.sent()).toEqual([
      '100 . 1:1001(1000)',
      '100 . 1001:2001(1000)',
      '100 . 2001:3001(1000)',
      '100 P. 3001:4001(1000)',
    ]);
    // 2. P0 is ACKed. 3. Two RTTs later (2 * SRTT + 2 ms, Linux's slack) the PTO fires and, with
    // no new data to send, the probe is P3 again.
    s.wait(100).ack(1001);
    s.wait(201);
    expect(s.sent()).toEqual([]);
    s.wait(1);
    expect(s.sent()).toEqual(['402 . 3001:4001(1000) loss-probe']);
    // 4-5. P3 is SACKed: RACK marks P1 and P2 lost (sent before P3's probe, more than RACK.rtt
    // ago) and fast recovery retransmits both (cwnd = ssthresh = 2 segments, pipe empty).
    s.wait(100).ack(1001, [[3001, 4001]]);
    expect(s.sent()).toEqual([
      '502 . 1001:2001(1000) fast-retransmission',
      '502 . 2001:3001(1000) retransmission',
    ]);
    expect(s.connection.lossState()).toMatchObject({ caState: 'recovery', sacked: 1, lost: 2 });
    // 6-7. The retransmission of P1 is lost: P2's, sent at the same time but later in sequence,
    // is SACKed, so RACK marks P1's retransmission lost (reo_wnd is 0 in recovery until
    // reordering is seen) and sends it again.
    s.wait(100).ack(1001, [[2001, 4001]]);
    expect(s.sent()).toEqual(['602 . 1001:2001(1000) retransmission']);
    // 8. P1 arrives: everything is acknowledged and recovery ends.
    s.wait(100).ack(4001);
    expect(s.phases()).toEqual([
      '502 slow-start -> fast-recovery (RACK loss detection)',
      '702 fast-recovery -> congestion-avoidance (new ACK)',
    ]);
    expect(s.connection.lossState()).toMatchObject({
      caState: 'open',
      unacked: 0,
      totalRetrans: 4,
    });
  });

  it('without the probe, the same tail waits for the retransmission timeout', () => {
    const s = sackSender({ rack: true });
    s.write(4000);
    s.sent();
    s.wait(100).ack(1001);
    s.wait(900);
    expect(s.sent()).toEqual([]);
    s.wait(100);
    expect(s.sent()).toEqual(['1200 . 1001:2001(1000) retransmission']);
  });
});

describe('RACK loss detection (RFC 8985 §6.2)', () => {
  it('waits the reordering window (min_RTT / 4, plus 2 ms) before the fast retransmit (fr-4pkt-fack-last-mss)', () => {
    const s = sackSender(LINUX);
    s.write(4000);
    s.sent();
    // The last segment is SACKed: P0-P2 were sent at the same time, so RACK waits RACK.rtt +
    // reo_wnd from their sending: 25 ms more, and the timer 2 ms more (Linux's slack).
    s.wait(100).ack(1, [[3001, 4001]]);
    expect(s.timers('reorder')).toEqual(['200 reorder armed 227']);
    s.wait(26);
    expect(s.sent()).toEqual([]);
    s.wait(1);
    // PRR lets out one segment: the pipe is empty and one segment counts as delivered.
    expect(s.sent()).toEqual(['227 . 1:1001(1000) fast-retransmission']);
    expect(s.phases()).toEqual(['227 slow-start -> fast-recovery (RACK reordering timeout)']);
    expect(s.connection.lossState()).toMatchObject({ caState: 'recovery', sacked: 1, lost: 3 });
    expect(s.cwnd).toBe(1000);
  });

  it('lets a reordered segment arrive within the window: no retransmission, and reordering is measured', () => {
    const s = sackSender(RACK_TLP);
    s.write(4000);
    s.sent();
    s.wait(100).ack(1, [[3001, 4001]]);
    s.wait(10).ack(4001); // P0-P2 were only late
    s.wait(1000);
    expect(s.sent()).toEqual([]);
    expect(s.timers('reorder')).toEqual(['200 reorder armed 227', '210 reorder cancelled']);
    // Three segments acknowledged below the highest SACKed one: reordering of 4 segments.
    expect(s.connection.lossState()).toMatchObject({
      caState: 'open',
      reordering: 4,
      reordSeen: 1,
      totalRetrans: 0,
    });
  });

  it('with three segments SACKed and no reordering seen, marks the hole lost at once (DupThresh, prr-ss-10pkt-lost-1)', () => {
    const s = sackSender(LINUX);
    s.write(10000);
    s.sent();
    s.wait(110).ack(1, [[1001, 2001]]);
    s.wait(10).ack(1, [[1001, 3001]]);
    expect(s.sent()).toEqual([]);
    s.wait(10).ack(1, [[1001, 4001]]);
    expect(s.sent()).toEqual(['230 . 1:1001(1000) fast-retransmission']);
    // CUBIC: ssthresh = 0.7 * 10 segments; PRR: cwnd = pipe (6) + 1.
    expect(s.ssthresh).toBe(7000);
    expect(s.cwnd).toBe(7000);
  });

  it('once reordering is seen, three SACKed segments no longer suffice: the window applies', () => {
    const s = sackSender(RACK_TLP);
    s.write(4000);
    s.sent();
    s.wait(100).ack(1, [[3001, 4001]]);
    s.wait(10).ack(4001); // reordering seen
    s.write(10000);
    expect(s.sent()).toHaveLength(10);
    s.wait(100).ack(4001, [[5001, 8001]]);
    expect(s.sent()).toEqual([]);
    expect(s.timers('reorder').at(-1)).toBe('310 reorder armed 337');
  });

  it('keeps the counts of tcp_info as Linux does (sack-shift-sacked-7-5-6-8-9-fack)', () => {
    const s = sackSender(LINUX);
    s.write(10000);
    s.sent();
    s.wait(100).ack(1, [[7001, 8001]]);
    s.wait(27);
    expect(s.sent()).toEqual(['227 . 1:1001(1000) fast-retransmission']);
    expect(s.connection.lossState()).toMatchObject({ caState: 'recovery', lost: 7, reordering: 3 });
    s.ack(1, [
      [5001, 6001],
      [7001, 8001],
    ]);
    expect(s.sent()).toEqual(['227 . 1001:2001(1000) retransmission']);
    // 5001:6001 was never sent again: delivered out of order, 3 segments from 8001.
    expect(s.connection.lossState()).toMatchObject({ lost: 6, reordering: 3, reordSeen: 1 });
    s.ack(1, [[5001, 8001]]);
    expect(s.sent()).toEqual(['227 . 2001:3001(1000) retransmission']);
    expect(s.connection.lossState()).toMatchObject({ lost: 5 });
    s.ack(1, [[5001, 9001]]);
    expect(s.sent()).toEqual(['227 . 3001:4001(1000) retransmission']);
    s.ack(1, [[5001, 10001]]);
    expect(s.sent()).toEqual(['227 . 4001:5001(1000) retransmission']);
    s.wait(100).ack(10001);
    expect(s.connection.lossState()).toMatchObject({
      caState: 'open',
      unacked: 0,
      sacked: 0,
      lost: 0,
      retrans: 0,
      totalRetrans: 5,
    });
  });

  it('measures the reordering degree from the distance to the highest SACK (sack-shift-sacked-2-6-8-3-9-nofack)', () => {
    const s = sackSender(LINUX);
    s.write(10000);
    s.sent();
    s.wait(100).ack(1, [[2001, 3001]]);
    s.wait(1).ack(1, [
      [2001, 3001],
      [6001, 7001],
    ]);
    s.wait(1).ack(1, [
      [2001, 3001],
      [6001, 7001],
      [8001, 9001],
    ]);
    expect(s.sent()).toEqual(['202 . 1:1001(1000) fast-retransmission']);
    expect(s.connection.lossState()).toMatchObject({ caState: 'recovery', lost: 6 });
    s.wait(7).ack(1, [
      [2001, 4001],
      [6001, 7001],
      [8001, 9001],
    ]);
    expect(s.sent()).toEqual(['209 . 1001:2001(1000) retransmission']);
    // 8001:9001 was SACKed before 3001:4001, which was never retransmitted: 6 segments apart.
    expect(s.connection.lossState()).toMatchObject({ lost: 5, reordering: 6, reordSeen: 1 });
  });

  it('a connection restored from its snapshot in the middle of recovery goes on exactly alike', () => {
    const run = (restore: boolean) => {
      let s = sackSender(LINUX);
      s.write(10000);
      s.wait(100).ack(1, [[7001, 8001]]);
      s.wait(27).ack(1, [
        [5001, 6001],
        [7001, 8001],
      ]);
      s.sent();
      if (restore) {
        const snapshot = JSON.parse(JSON.stringify(s.t.sim.snapshot())) as ReturnType<
          Simulation['snapshot']
        >;
        s = new SackSender(new Lone(Simulation.restore(snapshot), s.t.id));
      }
      s.wait(2).ack(1, [[5001, 9001]]);
      s.wait(50).ack(3001, [[5001, 10001]]);
      s.write(5000);
      s.wait(500);
      return { sent: s.sent(), loss: s.connection.lossState(), cwnd: s.cwnd };
    };
    const restored = run(true);
    expect(restored.sent.length).toBeGreaterThan(3);
    expect(restored).toEqual(run(false));
  });
});

describe('Tail loss probe (RFC 8985 §7)', () => {
  it('schedules the PTO 2 * SRTT (+ 2 ms) after the flight, or + 200 ms for a single segment (§7.2)', () => {
    const several = sackSender(RACK_TLP);
    several.write(3000);
    expect(several.timers('loss-probe')).toEqual(['100 loss-probe armed 302']);
    const one = sackSender(RACK_TLP);
    one.write(1000);
    expect(one.timers('loss-probe')).toEqual(['100 loss-probe armed 500']);
  });

  it('probes with new data when the peer window takes it, past cwnd and Nagle (§7.3)', () => {
    const s = sackSender(RACK_TLP);
    s.write(20000); // IW10: ten segments go, ten wait for cwnd
    expect(s.sent()).toHaveLength(10);
    s.wait(202);
    expect(s.sent()).toEqual(['302 . 10001:11001(1000) loss-probe']);
    expect(s.timers().slice(-2)).toEqual(['302 loss-probe fired 302', '302 retransmit armed 1302']);
  });

  it('probes the last segment again when there is no new data (fr-4pkt-fack-last-byte)', () => {
    const s = sackSender({ ...LINUX, rtoMinMs: 200 });
    s.write(4000);
    s.sent();
    // A SACK of the last byte only SACKs no whole segment: nothing is deemed lost.
    s.wait(100).ack(1, [[4000, 4001]]);
    s.wait(102);
    expect(s.sent()).toEqual(['302 . 3001:4001(1000) loss-probe']);
    // The probe draws nothing: the RTO (RTT + 200 ms) runs from the probe.
    s.wait(300);
    expect(s.sent()).toEqual(['602 . 1:1001(1000) retransmission']);
  });

  it('is not armed while segments are SACKed or in recovery (§7.2)', () => {
    const s = sackSender(RACK_TLP);
    s.write(4000);
    s.sent();
    s.wait(100).ack(1, [[3001, 4001]]);
    expect(s.timers().slice(-3)).toEqual([
      '100 loss-probe armed 302',
      '200 loss-probe cancelled',
      '200 reorder armed 227',
    ]);
  });

  it('an ACK beyond a probe that resent the tail shows it repaired a loss: one reduction, no recovery (§7.4.2)', () => {
    const s = sackSender(RACK_TLP);
    s.write(4000);
    s.wait(100).ack(3001); // P3 lost
    // One segment in flight: the PTO allows for a delayed ACK, 2 * SRTT + 200 ms.
    s.wait(399);
    expect(s.sent()).toHaveLength(4);
    s.wait(1);
    expect(s.sent()).toEqual(['600 . 3001:4001(1000) loss-probe']);
    const before = s.cwnd;
    s.wait(100).ack(4001); // ACK == TLP.end_seq: not yet conclusive
    expect(s.ssthresh).toBeGreaterThan(1e9);
    s.write(1000);
    s.wait(100).ack(5001); // beyond TLP.end_seq: the probe repaired P3
    expect(s.phases()).toEqual([
      '800 slow-start -> congestion-avoidance (loss repaired by tail loss probe)',
    ]);
    expect(s.ssthresh).toBe(2000); // max(FlightSize / 2, 2 SMSS)
    expect(s.cwnd).toBe(2000);
    expect(before).toBeGreaterThan(2000);
  });

  it('a duplicate ACK after the original was acknowledged shows both copies arrived: no reduction (§7.4.2)', () => {
    const s = sackSender(RACK_TLP);
    s.write(4000);
    s.wait(100).ack(3001); // P3's own ACK is late
    s.wait(400);
    expect(s.sent().at(-1)).toBe('600 . 3001:4001(1000) loss-probe');
    s.wait(50).ack(4001); // the late ACK of the original
    s.wait(50).ack(4001); // the ACK the probe drew: a duplicate
    s.write(1000);
    s.wait(100).ack(5001);
    expect(s.phases()).toEqual([]);
    expect(s.ssthresh).toBeGreaterThan(1e9);
  });
});
