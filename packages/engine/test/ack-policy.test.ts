// When the receiver acknowledges: RFC 9293 §3.8.6.3's textbook policy and Linux's (quick-ACK
// mode at the start, the adaptive delay, interactive mode; see src/tcp/ack-policy.ts).
import { describe, expect, it } from 'vitest';
import { established, ISS, PEER_ISS } from './lone.js';

const RCV = PEER_ISS + 1;
const SND = ISS + 1;
const linux = { ackPolicy: 'linux' as const, delayedAckMs: 40 };

/** The peer sends `n` segments of 100 bytes, one every `gapMs`, from RCV on. */
function small(t: ReturnType<typeof established>, n: number, gapMs: number, from = RCV): number {
  let at = from;
  for (let i = 0; i < n; i++) {
    if (i > 0) t.wait(gapMs);
    t.send({ flags: 'P.', seq: at, ack: SND, data: 'x'.repeat(100) });
    at += 100;
  }
  return at;
}

describe('the rfc policy (RFC 9293 §3.8.6.3)', () => {
  it('delays the ACK of a lone small segment by delayedAckMs', () => {
    const t = established({ delayedAckMs: 40 });
    small(t, 1, 0);
    expect(t.replies()).toEqual([]);
    t.wait(39);
    expect(t.replies()).toEqual([]);
    t.wait(1);
    expect(t.replies()).toEqual([`. ack ${RCV + 100} win 65435`]);
  });
});

describe("Linux's policy (tcp_input.c)", () => {
  it('acknowledges the first segments at once (quick-ACK mode), at most 16 of them', () => {
    const t = established(linux);
    small(t, 16, 1);
    const acks = t.replies();
    expect(acks).toHaveLength(16);
    expect(acks[0]).toBe(`. ack ${RCV + 100} win 65435`);
    expect(acks[15]).toBe(`. ack ${RCV + 1600} win 63935`);
    // The 17th waits for the delayed-ACK timer: ato is TCP_ATO_MIN, 40 ms.
    small(t, 1, 1, RCV + 1600);
    expect(t.replies()).toEqual([]);
    t.wait(39);
    expect(t.replies()).toEqual([]);
    t.wait(1);
    expect(t.replies()).toEqual([`. ack ${RCV + 1700} win 63835`]);
  });

  it('still acknowledges every second full-sized segment at once after quick-ACK mode', () => {
    const t = established(linux);
    small(t, 16, 1);
    t.replies();
    const full = 'y'.repeat(1460);
    const at = RCV + 1600;
    t.send({ flags: '.', seq: at, ack: SND, data: full });
    expect(t.replies()).toEqual([]);
    t.send({ flags: '.', seq: at + 1460, ack: SND, data: full });
    expect(t.replies()).toEqual([`. ack ${at + 2920} win 61015`]);
  });

  it('turns interactive when it replies within ato: the ACK then rides on the reply', () => {
    const t = established(linux);
    const at = small(t, 16, 1);
    t.replies();
    // A reply within ato of the last arrival: ping-pong mode.
    t.wait(5);
    t.sim.sendData(t.id, new TextEncoder().encode('reply'));
    expect(t.replies()).toEqual([`P. ${SND}:${SND + 5}(5) ack ${at} win 63935`]);
    // A request after quick-ACK mode: held, then carried by the next reply.
    t.send({ flags: 'P.', seq: at, ack: SND + 5, data: 'q' });
    expect(t.replies()).toEqual([]);
    t.wait(10);
    t.sim.sendData(t.id, new TextEncoder().encode('answer'));
    expect(t.replies()).toEqual([`P. ${SND + 5}:${SND + 11}(6) ack ${at + 1} win 63934`]);
  });

  it('a delayed ACK that fires in interactive mode leaves it', () => {
    const t = established(linux);
    const at = small(t, 16, 1);
    t.wait(5);
    t.sim.sendData(t.id, new TextEncoder().encode('reply'));
    t.replies();
    t.send({ flags: 'P.', seq: at, ack: SND + 5, data: 'q' });
    t.wait(200);
    expect(t.replies()).toEqual([`. ack ${at + 1} win 63934`]);
    expect(t.sim.connection(t.id).ackState.pingpong).toBe(false);
  });

  it('keeps its state across a snapshot', () => {
    const t = established(linux);
    small(t, 3, 1);
    const c = t.sim.connection(t.id);
    const state = c.toState();
    expect(state.ackState).toEqual({
      quick: 13,
      atoUs: 40_000,
      pingpong: false,
      lastReceiveUs: 2000,
    });
  });
});
