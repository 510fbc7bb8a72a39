// Proportional rate reduction (RFC 6937) against RFC 6675's recovery, in the RFC's own
// examples (§3.1): bulk data, cwnd = FlightSize = 20 segments, Limited Transmit, and a
// receiver that SACKs every segment that arrives, one ACK each. Then Linux's packetdrill
// scripts for what Linux's variant (tcp_cwnd_reduction) does on top.
import { describe, expect, it } from 'vitest';
import { sackSender, type SackSender } from './sack-sender.js';

const MSS = 1000;
/** 20 segments in flight when the first ACK comes back; plenty more to send. */
function bulk(prr: boolean): SackSender {
  const s = sackSender({ prr, initialWindow: 20 });
  s.write(100 * MSS);
  expect(s.sent()).toHaveLength(20);
  return s;
}

/** What each ACK made the sender send: N for new data, R for a retransmission, . for nothing. */
function response(s: SackSender): string {
  const sent = s.sent();
  if (sent.length === 0) return '.';
  return sent
    .map((line) => (line.includes('retransmission') ? 'R' : 'N'))
    .join('')
    .replace(/^(R+)$/, (r) => (r.length > 1 ? `${r.length}R` : r));
}

/** The receiver got segments `from`..`to` (0-based) one by one, segment `lost` and below not. */
function sackEach(s: SackSender, from: number, to: number, firstHeld: number): string[] {
  const sent: string[] = [];
  for (let k = from; k <= to; k++) {
    s.wait(1).ack(1, [[firstHeld * MSS + 1, (k + 1) * MSS + 1]]);
    sent.push(response(s));
  }
  return sent;
}

describe('RFC 6937 §3.1: segment 0 lost', () => {
  it('RFC 6675 sends nothing for half an RTT, then one segment per ACK', () => {
    const s = bulk(false);
    s.wait(100);
    // Limited Transmit on ACKs 1 and 2, the fast retransmit on 3 (ssthresh = 22 / 2 = 11
    // segments), then silence while the pipe drains from 19 to below cwnd.
    expect(sackEach(s, 1, 19, 1).join(' ')).toBe('N N R . . . . . . . . N N N N N N N N');
  });

  it('PRR spreads the reduction over the whole RTT, one segment per two ACKs, and sends as much', () => {
    const s = bulk(true);
    s.wait(100);
    // While pipe > ssthresh, sndcnt = CEIL(prr_delivered * 11 / 22) - prr_out: every other ACK.
    // Once the pipe is down to ssthresh (ACK 17), the reduction bound gives ssthresh - pipe.
    expect(sackEach(s, 1, 19, 1).join(' ')).toBe('N N R . N . N . N . N . N . N . . N N');
    expect(s.cwnd).toBe(11 * MSS); // pipe + sndcnt after the last ACK
  });

  it('both reach ssthresh when recovery ends', () => {
    for (const prr of [false, true]) {
      const s = bulk(prr);
      s.wait(100);
      sackEach(s, 1, 19, 1);
      s.wait(100).ack(s.connection.sndMax);
      expect(s.phases().at(-1)).toBe('319 fast-recovery -> congestion-avoidance (new ACK)');
      expect(s.cwnd).toBe(s.ssthresh);
      expect(s.ssthresh).toBe(11 * MSS);
    }
  });
});

describe('RFC 6937 §3.1: segments 0-14 lost', () => {
  it('RFC 6675 sends a burst of 7 retransmissions on the third duplicate ACK', () => {
    const s = bulk(false);
    s.wait(100);
    expect(sackEach(s, 15, 19, 15).join(' ')).toBe('N N 7R R R');
  });

  it("PRR with Linux's reduction bound sends one per ACK: the extra segment needs an ACK that moves SND.UNA", () => {
    // RFC 6937's PRR-SSRB would send 2R on each of these ACKs (DeliveredData + MSS); Linux (and
    // the RFC 6937bis draft) adds the MSS only on an ACK that advances SND.UNA without new loss,
    // which duplicate ACKs never do: here it behaves as PRR-CRB does in the RFC's figure.
    const s = bulk(true);
    s.wait(100);
    expect(sackEach(s, 15, 19, 15).join(' ')).toBe('N N R R R');
  });
});

describe("Linux's PRR (tcp_cwnd_reduction), with RACK", () => {
  const LINUX = { rack: true, tlp: true, prr: true, dsack: true, congestion: 'cubic' } as const;

  it('packet conservation, PRR-CRB, then slow start on a safe ACK (prr-ss-30pkt-lost-1_4-11_16)', () => {
    const s = sackSender(LINUX, { rttMs: 10 });
    s.write(20000);
    expect(s.sent()).toHaveLength(10);
    const sacks = (ack: number, ...blocks: [number, number][]) => {
      s.wait(2).ack(ack, blocks);
      return s.sent().map((line) => line.split(' ')[2]); // the ranges (PSH is not the point)
    };
    s.wait(8);
    // Two SACKs: Linux's in-flight count lets a new segment out for each (Disorder).
    expect(sacks(1, [4001, 5001])).toEqual(['10001:11001(1000)']);
    expect(sacks(1, [4001, 6001])).toEqual(['11001:12001(1000)']);
    // Three SACKed: RACK marks 1-4 lost; cwnd 10 -> ssthresh 7; one segment per ACK.
    expect(sacks(1, [4001, 7001])).toEqual(['1:1001(1000)']);
    expect(sacks(1, [4001, 8001])).toEqual(['1001:2001(1000)']);
    expect(sacks(1, [4001, 9001])).toEqual(['2001:3001(1000)']);
    expect(sacks(1, [4001, 10001])).toEqual(['3001:4001(1000)']);
    expect(sacks(1, [4001, 11001])).toEqual(['12001:13001(1000)']);
    expect(sacks(1, [4001, 12001])).toEqual(['13001:14001(1000)']);
    // An ACK that advances SND.UNA with no new loss: one more segment (slow start in recovery).
    s.wait(8);
    expect(sacks(1001, [4001, 12001])).toEqual(['14001:15001(1000)', '15001:16001(1000)']);
    // RACK finds the retransmission of 1001:2001 lost (2001:4001's, sent later, arrived).
    expect(sacks(1001, [2001, 12001])).toEqual(['1001:2001(1000)', '16001:17001(1000)']);
    // The pipe reaches ssthresh: packet conservation again.
    expect(sacks(1001, [2001, 13001])).toEqual(['17001:18001(1000)']);
    expect(sacks(1001, [2001, 14001])).toEqual(['18001:19001(1000)']);
    expect(s.ssthresh).toBe(7 * MSS);
  });

  it('an ACK below SND.UNA still brings its SACK blocks, but no PRR step (prr-ss-ack-below-snd_una-cubic)', () => {
    const s = sackSender(LINUX, { rttMs: 10 });
    s.write(10000);
    s.sent();
    s.wait(10).ack(1, [[1001, 2001]]);
    s.ack(1, [[1001, 3001]]);
    s.ack(1, [
      [1001, 3001],
      [8001, 9001],
    ]);
    expect(s.sent()).toEqual(['20 . 1:1001(1000) fast-retransmission']);
    s.wait(12).ack(4001, [[8001, 9001]]);
    expect(s.sent()).toEqual([
      '32 . 4001:5001(1000) retransmission',
      '32 . 5001:6001(1000) retransmission',
      '32 . 6001:7001(1000) retransmission',
    ]);
    s.write(10000);
    // A reordered ACK, below SND.UNA: 5001:7001 is SACKed, two segments leave the pipe, and the
    // cwnd the last ACK set lets two more out.
    s.wait(2).ack(3001, [[5001, 7001]]);
    expect(s.sent()).toEqual(['34 . 7001:8001(1000) retransmission', '34 . 10001:11001(1000)']);
  });
});
