// PSH as Linux sets it (`pushFlag: 'linux'`), against the `>` lines of Linux's packetdrill
// scripts: what leaves at one moment goes in TSO packets of two segments at these rates, each
// with PSH on its last segment; a lone segment has PSH only where a write ended;
// retransmissions likewise. Our sequence numbers start at 1001 where the scripts' start at 1.
import { describe, expect, it } from 'vitest';
import { recordWrite, noPush, type PushState } from '../src/tcp/push.js';
import { cwndQuota, tsoSegments } from '../src/tcp/tso.js';
import { seq } from '../src/wire/seq.js';
import { accepted, ack, DATA, sent } from './linux-peer.js';

const LINUX = { pushFlag: 'linux', rtoMinMs: 200, initialWindow: 10, congestion: 'cubic' } as const;
const bytes = (n: number) => new Uint8Array(n);

describe("pushFlag 'linux' on the wire", () => {
  it('a large write leaves in two-segment packets with PSH on each second one (slow-start-ack-per-1pkt)', () => {
    const t = accepted(LINUX);
    t.sim.sendData(t.id, bytes(30_000));
    // The script's `P. 1:10001(10000)`: the player reads PSH on the last segment.
    expect(sent(t)).toEqual([
      '. 1001:2001(1000)',
      'P. 2001:3001(1000)',
      '. 3001:4001(1000)',
      'P. 4001:5001(1000)',
      '. 5001:6001(1000)',
      'P. 6001:7001(1000)',
      '. 7001:8001(1000)',
      'P. 8001:9001(1000)',
      '. 9001:10001(1000)',
      'P. 10001:11001(1000)',
    ]);
    // Each ACK of one segment opens room for two: `P. 10001:12001(2000)`.
    ack(t, DATA + 1000);
    expect(sent(t)).toEqual(['. 11001:12001(1000)', 'P. 12001:13001(1000)']);
    ack(t, DATA + 2000);
    expect(sent(t)).toEqual(['. 13001:14001(1000)', 'P. 14001:15001(1000)']);
  });

  it('an odd burst ends with a lone segment and no PSH (prr-ss-30pkt-lost1_4: `. 10001:17001(7000)`)', () => {
    const t = accepted({ ...LINUX, initialWindow: 7 }, { rttMs: 10 });
    t.sim.sendData(t.id, bytes(10_000));
    // cwnd 7: packets of 2, 2, 2, then the one segment the window has left.
    expect(sent(t)).toEqual([
      '. 1001:2001(1000)',
      'P. 2001:3001(1000)',
      '. 3001:4001(1000)',
      'P. 4001:5001(1000)',
      '. 5001:6001(1000)',
      'P. 6001:7001(1000)',
      '. 7001:8001(1000)',
    ]);
  });

  it('a segment the window lets go alone has no PSH (limited-transmit: `. 10001:11001(1000)`)', () => {
    const t = accepted(LINUX);
    t.sim.sendData(t.id, bytes(15_000));
    sent(t);
    // The peer acknowledges one segment and opens its window by 79 * 128 bytes: room for one.
    ack(t, DATA + 1000, 79);
    expect(sent(t)).toEqual(['. 11001:12001(1000)']);
  });

  it('the end of a write has PSH, inside a burst or alone', () => {
    // Nagle off: Linux's Nagle (Minshall's variant) would not hold the last 500 bytes either.
    const t = accepted({ ...LINUX, nagle: false });
    t.sim.sendData(t.id, bytes(2500));
    expect(sent(t)).toEqual(['. 1001:2001(1000)', 'P. 2001:3001(1000)', 'P. 3001:3501(500)']);
  });

  it('retransmissions have PSH only where a write ended (fr-4pkt-fack-last-byte)', () => {
    const t = accepted(LINUX);
    t.sim.sendData(t.id, bytes(4000));
    expect(sent(t)).toEqual([
      '. 1001:2001(1000)',
      'P. 2001:3001(1000)',
      '. 3001:4001(1000)',
      'P. 4001:5001(1000)',
    ]);
    t.wait(300); // RTO: srtt 100 ms + 4 * 50 ms
    expect(sent(t)).toEqual(['. 1001:2001(1000)']);
    ack(t, DATA + 1000);
    expect(sent(t)).toEqual(['. 2001:3001(1000)', '. 3001:4001(1000)']);
    ack(t, DATA + 3000);
    expect(sent(t)).toEqual(['P. 4001:5001(1000)']);
  });

  it("the default ('rfc') puts PSH on the segment that empties the queue, as before", () => {
    const t = accepted({ rtoMinMs: 200, initialWindow: 10, nagle: false });
    t.sim.sendData(t.id, bytes(2500));
    expect(sent(t)).toEqual(['. 1001:2001(1000)', '. 2001:3001(1000)', 'P. 3001:3501(500)']);
  });
});

describe('where Linux marks PSH in what an application writes (tcp_sendmsg_locked, tcp_push)', () => {
  const MSS = 1000;
  // srtt 100 ms, cwnd 10: TSO buffers of two segments.
  const tso = { mss: MSS, cwnd: 10 * MSS, ssthresh: Infinity, srttUs: 100_000 };
  function writes(maxWindow: number, ...list: [length: number, more?: boolean][]): number[] {
    const p: PushState = { ...noPush(seq(1)), maxWindow };
    let end = 1;
    for (const [length, more = false] of list) {
      recordWrite(p, { from: seq(end), length, more, sentBelow: seq(1), mss: MSS, tso });
      end += length;
    }
    return p.marks;
  }

  it.each([
    ['a write marks its end', [[40]], [41]],
    ['a write with MSG_MORE marks nothing', [[40, true]], []],
    ['the next write extending the unsent buffer takes the mark away', [[40], [40]], [81]],
    ['MSG_MORE then a plain write: one mark at the end', [[40, true], [20]], [61]],
    ['a write after a full buffer leaves that mark', [[2000], [40]], [2001, 2041]],
    // forced_push: more than half the largest window (32896 / 2) queued since the last mark;
    // checked as each 2000-byte buffer fills (cubic-rto-ss-ca-cwnd-bump: `P. 19001:20001`).
    [
      'a large write is marked each half window, at a buffer end',
      [[40_000]],
      [18_001, 36_001, 40_001],
    ],
  ] as [string, [number, boolean?][], number[]][])('%s', (_name, list, marks) => {
    expect(writes(32_896, ...list)).toEqual(marks);
  });
});

describe("Linux's TSO packet sizes (tcp_tso_autosize, tcp_cwnd_test)", () => {
  it.each([
    // [cwnd segments, srtt ms, segments per packet]
    [10, 100, 2], // packetdrill's usual 100 ms path
    [10, 10, 2],
    [100, 10, 19], // slow start paces at twice 100 kB per 10 ms: 19.5 kB per 1/1024 s
    [10, 0.1, 65], // under a few ms, 64 kB more: the largest packet
  ])('cwnd %i, srtt %f ms: %i segments', (cwnd, srttMs, segs) => {
    expect(
      tsoSegments({ mss: 1000, cwnd: cwnd * 1000, ssthresh: Infinity, srttUs: srttMs * 1000 }),
    ).toBe(segs);
  });

  it('a packet takes at most half the congestion window, and what is left of it', () => {
    expect(cwndQuota(10, 0)).toBe(5);
    expect(cwndQuota(11, 9)).toBe(2);
    expect(cwndQuota(2, 0)).toBe(1);
    expect(cwndQuota(7, 6)).toBe(1);
  });
});
