// D-SACK (RFC 2883): the receiver's reports of duplicate segments, in the RFC's own examples
// (§4), and what the sender learns from them (spurious retransmissions, reordering, RACK's
// reordering window: RFC 3708, RFC 8985 §6.2 step 4).
import { describe, expect, it } from 'vitest';
import type { EndpointOptions } from '../src/tcp/options.js';
import { synSent, type Lone } from './lone.js';
import { sackSender } from './sack-sender.js';

/**
 * A receiver whose peer's first data byte is `first`, so that the RFC's sequence numbers are
 * the segments' own; every segment is acknowledged at once.
 */
function receiver(first: number, options: Partial<EndpointOptions> = {}): Lone {
  const t = synSent({ isn: 0, sack: true, dsack: true, ...options });
  const ts = options.timestamps === true ? { ts: { val: 1, ecr: 0 } } : {};
  t.send({ flags: 'S.', seq: first - 1, ack: 1, options: { mss: 1460, sackOk: true, ...ts } });
  t.sim.setLink({ mtu: 9000 }); // the RFC's examples send 1500 bytes of data in one segment
  t.replies();
  return t;
}

/** The peer sends bytes [from, to); returns the ACK it draws, as `ack N, SACK=a-b, c-d`. */
function segment(t: Lone, from: number, to: number): string {
  t.send({ flags: '.', seq: from, ack: 1, data: 'x'.repeat(to - from) });
  const replies = t.replies();
  expect(replies).toHaveLength(1);
  const reply = replies[0] as string;
  const ack = /ack (\d+)/.exec(reply)?.[1];
  const blocks = [...reply.matchAll(/\{(\d+):(\d+)\}/g)].map(([, l, r]) => `${l}-${r}`);
  return blocks.length === 0 ? `${ack}` : `${ack}, SACK=${blocks.join(', ')}`;
}

describe('the receiver reports duplicates first (RFC 2883 §4)', () => {
  it('Example 1: a duplicate segment', () => {
    const t = receiver(3000);
    expect(segment(t, 3000, 3500)).toBe('3500');
    expect(segment(t, 3500, 4000)).toBe('4000');
    expect(segment(t, 3000, 3500)).toBe('4000, SACK=3000-3500');
    // The D-SACK block goes in that ACK only.
    expect(segment(t, 4000, 4500)).toBe('4500');
  });

  it('Example 2: an out-of-order segment and a duplicate segment', () => {
    const t = receiver(3000);
    segment(t, 3000, 3500);
    segment(t, 3500, 4000);
    expect(segment(t, 4500, 5000)).toBe('4000, SACK=4500-5000');
    expect(segment(t, 3000, 3500)).toBe('4000, SACK=3000-3500, 4500-5000');
  });

  it('Example 3: a duplicate of an out-of-order segment, then the block holding it', () => {
    const t = receiver(3500);
    expect(segment(t, 3500, 4000)).toBe('4000');
    expect(segment(t, 4500, 5000)).toBe('4000, SACK=4500-5000');
    expect(segment(t, 5000, 5500)).toBe('4000, SACK=4500-5500');
    expect(segment(t, 5000, 5500)).toBe('4000, SACK=5000-5500, 4500-5500');
  });

  it('Example 4: a single duplicate subsegment', () => {
    const t = receiver(500);
    expect(segment(t, 500, 1000)).toBe('1000');
    expect(segment(t, 2000, 2500)).toBe('1000, SACK=2000-2500');
    expect(segment(t, 1000, 1500)).toBe('1500, SACK=2000-2500'); // the delayed one
    expect(segment(t, 1000, 2000)).toBe('2500, SACK=1000-1500');
  });

  it('Example 5: two duplicate subsegments below the cumulative ACK: only the first is reported', () => {
    const t = receiver(500);
    segment(t, 500, 1000);
    expect(segment(t, 3000, 3500)).toBe('1000, SACK=3000-3500');
    expect(segment(t, 1000, 1500)).toBe('1500, SACK=3000-3500');
    expect(segment(t, 2000, 2500)).toBe('1500, SACK=2000-2500, 3000-3500');
    expect(segment(t, 1000, 2500)).toBe('2500, SACK=1000-1500, 3000-3500');
  });

  it('is not sent with D-SACK off, and fits beside timestamps in 3 blocks', () => {
    const off = receiver(3000, { dsack: false });
    segment(off, 3000, 3500);
    expect(segment(off, 3000, 3500)).toBe('3500');
    const ts = receiver(100, { timestamps: true });
    for (const at of [200, 400, 600, 800]) {
      ts.send({
        flags: '.',
        seq: at,
        ack: 1,
        data: 'x'.repeat(10),
        options: { ts: { val: 1, ecr: 0 } },
      });
    }
    ts.replies();
    ts.send({
      flags: '.',
      seq: 800,
      ack: 1,
      data: 'x'.repeat(10),
      options: { ts: { val: 1, ecr: 0 } },
    });
    // The D-SACK, the block holding the duplicate, then the rest as RFC 2018 §4 allows.
    expect(ts.replies()).toEqual([
      '. ack 100 win 65535 <TS val 0 ecr 1,sack 3 {800:810}{800:810}{200:210}>',
    ]);
  });
});

describe('the sender reads D-SACKs (RFC 2883 §5, RFC 3708)', () => {
  /** RACK retransmits P0 and P1 spuriously: they were only late (reordering). */
  function spurious() {
    const s = sackSender({ rack: true, dsack: true });
    s.write(4000);
    s.sent();
    s.wait(100).ack(1, [[3001, 4001]]);
    s.wait(27); // RACK's reordering timer: P0-P2 lost, cwnd = ssthresh = 2 segments
    expect(s.sent()).toEqual([
      '227 . 1:1001(1000) fast-retransmission',
      '227 . 1001:2001(1000) retransmission',
    ]);
    s.wait(3).ack(3001, [[3001, 4001]]); // the originals arrive after all
    return s;
  }

  it('counts the retransmissions the receiver got twice, and learns the reordering', () => {
    const s = spurious();
    expect(s.connection.lossState()).toMatchObject({ dsackDups: 0, reordSeen: 1 });
    s.wait(97).ack(4001, [[1, 2001]]); // the retransmissions arrive: duplicates
    expect(s.connection.lossState()).toMatchObject({ dsackDups: 2, totalRetrans: 2 });
  });

  it("widens RACK's reordering window by min_RTT / 4 for the next losses (RFC 8985 §6.2 step 4)", () => {
    const s = spurious();
    s.wait(97).ack(4001, [[1, 2001]]);
    s.write(2000); // cwnd is down to 2 segments
    s.sent();
    s.wait(100).ack(4001, [[5001, 6001]]);
    // Twice min_RTT / 4, plus the 2 ms of slack: 52 ms instead of 27.
    expect(s.timers('reorder').at(-1)).toBe('427 reorder armed 479');
  });

  it('without the D-SACK the window stays', () => {
    const s = spurious();
    s.wait(97).ack(4001);
    s.write(2000);
    s.sent();
    s.wait(100).ack(4001, [[5001, 6001]]);
    expect(s.timers('reorder').at(-1)).toBe('427 reorder armed 454');
  });

  it('does not believe a D-SACK of more segments than were ever retransmitted', () => {
    const s = sackSender({ rack: true, dsack: true });
    s.write(4000);
    s.wait(100).ack(1, [[3001, 4001]]);
    s.wait(10).ack(4001); // reordering seen, nothing retransmitted
    s.wait(10).ack(4001, [[1, 1001]]); // a "duplicate" nothing explains
    expect(s.connection.lossState()).toMatchObject({ dsackDups: 1, reordSeen: 1, totalRetrans: 0 });
    s.write(2000);
    s.sent();
    s.wait(100).ack(4001, [[5001, 6001]]);
    expect(s.timers('reorder').at(-1)).toBe('320 reorder armed 347'); // min_RTT / 4 still
  });

  it('ends a tail loss probe episode without a reduction when the D-SACK reports the probe (RFC 8985 §7.4)', () => {
    const s = sackSender({ rack: true, tlp: true, dsack: true });
    s.write(4000);
    s.wait(100).ack(3001);
    s.wait(400);
    expect(s.sent().at(-1)).toBe('600 . 3001:4001(1000) loss-probe');
    s.wait(50).ack(4001); // the original's ACK, late
    s.wait(50).ack(4001, [[3001, 4001]]); // the probe was a duplicate
    s.write(1000);
    s.wait(100).ack(5001);
    expect(s.phases()).toEqual([]);
    expect(s.connection.lossState().dsackDups).toBe(1);
  });
});
