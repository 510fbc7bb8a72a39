// TCP_CORK (option `cork`) and MSG_MORE (`more` on a send), replayed from Linux's packetdrill
// scripts nagle/sockopt_cork_nodelay.pkt and nagle/sendmsg_msg_more.pkt: the same writes at the
// same times, and the segments Linux sends (our sequence numbers start at 1001 where the
// scripts' start at 1). Segments are `flags seq:end(len)`, with the send time in ms.
import { describe, expect, it } from 'vitest';
import { accepted, ack, DATA, sent } from './linux-peer.js';
import { established } from './lone.js';

/** What Linux does where it matters here: PSH as Linux sets it, its RTO (srtt + 200 ms), IW10. */
const LINUX = {
  pushFlag: 'linux',
  rttEstimator: 'linux',
  rtoMinMs: 200,
  initialWindow: 10,
} as const;
const bytes = (n: number) => new Uint8Array(n);

describe('TCP_CORK', () => {
  it('holds small writes until uncorked, then sends them at once with PSH (sockopt_cork_nodelay)', () => {
    const t = accepted(LINUX, { rttMs: 10 });
    t.sim.setOptions(t.id, { cork: true });
    t.sim.sendData(t.id, bytes(40));
    t.wait(50);
    t.sim.sendData(t.id, bytes(40));
    t.wait(10);
    expect(sent(t)).toEqual([]);
    t.sim.setOptions(t.id, { cork: false });
    expect(sent(t, true)).toEqual(['70 P. 1001:1081(80)']);
  });

  it('TCP_NODELAY pushes what a cork holds, the cork staying on (sockopt_cork_nodelay)', () => {
    const t = accepted(LINUX, { rttMs: 10 });
    t.sim.setOptions(t.id, { cork: true });
    t.sim.sendData(t.id, bytes(40));
    t.wait(50);
    t.sim.sendData(t.id, bytes(40));
    expect(sent(t)).toEqual([]);
    t.sim.setOptions(t.id, { nagle: false });
    expect(sent(t, true)).toEqual(['60 P. 1001:1081(80)']);
    expect(t.sim.connection(t.id).options.cork).toBe(true);
  });

  it('setting TCP_NODELAY again pushes what MSG_MORE held, without PSH (sockopt_cork_nodelay)', () => {
    const t = accepted({ ...LINUX, nagle: false }, { rttMs: 10 });
    t.sim.sendData(t.id, bytes(40), { more: true });
    t.wait(50);
    t.sim.sendData(t.id, bytes(40), { more: true });
    t.wait(10);
    expect(sent(t)).toEqual([]);
    t.sim.setOptions(t.id, { nagle: false });
    expect(sent(t, true)).toEqual(['70 . 1001:1081(80)']);
  });

  it('full segments leave while corked; the partial rest waits for the uncork', () => {
    const t = accepted({ ...LINUX, cork: true }, { rttMs: 10 });
    t.sim.sendData(t.id, bytes(2500));
    expect(sent(t)).toEqual(['. 1001:2001(1000)', 'P. 2001:3001(1000)']);
    ack(t, DATA + 2000);
    expect(sent(t)).toEqual([]);
    t.sim.setOptions(t.id, { cork: false });
    expect(sent(t)).toEqual(['P. 3001:3501(500)']);
  });

  it('with nothing in flight, what the cork holds leaves one RTO later, with PSH (tcp_write_wakeup)', () => {
    const t = accepted({ ...LINUX, cork: true }, { rttMs: 10 });
    t.sim.sendData(t.id, bytes(40));
    t.wait(209); // one RTO: Linux's srtt + 200 ms
    expect(sent(t)).toEqual([]);
    t.wait(1);
    expect(sent(t, true)).toEqual(['220 P. 1001:1041(40)']);
  });

  it('closing sends what the cork holds, then the FIN', () => {
    const t = accepted({ ...LINUX, cork: true }, { rttMs: 10 });
    t.sim.sendData(t.id, bytes(40));
    expect(sent(t)).toEqual([]);
    t.sim.shutdown(t.id);
    expect(sent(t)).toEqual(['P. 1001:1041(40)', 'F. 1041:1041(0)']);
  });
});

describe('MSG_MORE', () => {
  it('replays sendmsg_msg_more.pkt: a small send waits, the next send without it pushes', () => {
    const t = accepted({ ...LINUX, nagle: false }, { rttMs: 10 });
    // MSG_MORE holds a small segment even with Nagle off: it leaves when the probe timer fires,
    // one RTO after the send, 210 ms (srtt 10 + 200 ms), as the script has it (+.21~+.215).
    t.sim.sendData(t.id, bytes(40), { more: true });
    t.wait(209);
    expect(sent(t)).toEqual([]);
    t.wait(1);
    expect(sent(t, true)).toEqual(['220 P. 1001:1041(40)']);
    t.wait(10);
    ack(t, DATA + 40);
    // Three sends with MSG_MORE wait; a fourth without it sends them all, pushed.
    t.sim.sendData(t.id, bytes(100), { more: true });
    t.wait(5);
    t.sim.sendData(t.id, bytes(160), { more: true });
    t.wait(10);
    t.sim.sendData(t.id, bytes(495), { more: true });
    t.wait(8);
    expect(sent(t)).toEqual([]);
    t.sim.sendData(t.id, bytes(5));
    expect(sent(t, true)).toEqual(['253 P. 1041:1801(760)']);
    t.wait(20);
    ack(t, DATA + 800);
    // More than an MSS with MSG_MORE: the full segments leave, the 100 bytes left wait. The
    // last segment has no PSH (Linux: the GSO packets are 2 + 1 segments; the lone last one
    // ends no write).
    t.wait(100);
    t.sim.sendData(t.id, bytes(3100), { more: true });
    expect(sent(t, true)).toEqual([
      '373 . 1801:2801(1000)',
      '373 P. 2801:3801(1000)',
      '373 . 3801:4801(1000)',
    ]);
    t.wait(3);
    t.sim.sendData(t.id, bytes(50), { more: true });
    // The next ACK pushes what waits, under the socket's own setting (Nagle off): no PSH.
    t.wait(10);
    ack(t, DATA + 2800);
    expect(sent(t, true)).toEqual(['386 . 4801:4951(150)']);
    // While data is in flight, small MSG_MORE sends wait for the ACK.
    for (const [ms, n] of [
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
    ] as const) {
      t.wait(ms);
      t.sim.sendData(t.id, bytes(n), { more: true });
    }
    t.wait(20);
    expect(sent(t)).toEqual([]);
    ack(t, DATA + 3950);
    expect(sent(t, true)).toEqual(['416 . 4951:4961(10)']);
    // A plain write after a MSG_MORE send pushes both.
    t.wait(20);
    ack(t, DATA + 3960);
    t.sim.sendData(t.id, bytes(20), { more: true });
    t.wait(50);
    expect(sent(t)).toEqual([]);
    t.sim.sendData(t.id, bytes(20));
    expect(sent(t, true)).toEqual(['486 P. 4961:5001(40)']);
  });

  it('a delayed ACK going out does not push what MSG_MORE held', () => {
    const t = accepted({ ...LINUX, nagle: false, delayedAckMs: 40 }, { rttMs: 10 });
    t.sim.sendData(t.id, bytes(1000)); // in flight
    expect(sent(t)).toEqual(['P. 1001:2001(1000)']);
    t.send({ flags: 'P.', seq: 101, ack: DATA, window: 257, data: 'request' });
    t.sim.sendData(t.id, bytes(40), { more: true });
    t.wait(40); // the delayed ACK of the request goes alone
    expect(t.replies()).toEqual(['. ack 108 win 255']);
    ack(t, DATA + 1000);
    expect(sent(t)).toEqual(['. 2001:2041(40)']);
  });

  it('in the rfc PSH mode, data sent with more carries no PSH (RFC 9293 §3.9.1.2: not pushed)', () => {
    const t = established({ nagle: false });
    t.sim.sendData(t.id, bytes(40), { more: true });
    t.wait(1000);
    expect(t.replies()).toEqual(['. 1001:1041(40) ack 101 win 65535']);
    t.sim.sendData(t.id, bytes(10));
    expect(t.replies()).toEqual(['P. 1041:1051(10) ack 101 win 65535']);
  });
});
