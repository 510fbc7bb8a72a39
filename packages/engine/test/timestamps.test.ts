// Timestamps (RFC 7323 §3-5): negotiation, an echo in every non-RST segment, RTT measurement
// from the echo, TS.Recent, and PAWS.
import { describe, expect, it } from 'vitest';
import { closed, established, ISS, PEER, PEER_ISS, synReceived, synSent } from './lone.js';

const ts = { timestamps: true };
const RCV = PEER_ISS + 1;
const SND = ISS + 1;

describe('negotiation (RFC 7323 §3.2)', () => {
  it('an active SYN carries TSval (virtual ms) and TSecr 0', () => {
    const t = closed(ts);
    t.wait(1234);
    t.sim.connect(t.id, PEER);
    expect(t.replies()).toEqual([`S ${ISS}:${ISS}(0) win 65535 <mss 1460,TS val 1234 ecr 0>`]);
  });

  it('a passive side echoes the SYN timestamp in its SYN,ACK', () => {
    const t = synReceived(ts, { ts: { val: 777, ecr: 0 } });
    const c = t.sim.connection(t.id);
    expect([c.timestamps, c.tsRecent, c.sndMss]).toEqual([true, 777, 1448]); // 12 bytes of option
  });

  it('without the peer, no timestamps and the full MSS', () => {
    const t = synSent(ts);
    t.send({ flags: 'S.', seq: PEER_ISS, ack: ISS + 1, options: { mss: 1460 } });
    const c = t.sim.connection(t.id);
    expect([c.timestamps, c.sndMss]).toEqual([false, 1460]);
    expect(t.replies()).toEqual([`. ack ${RCV} win 65535`]);
  });

  it('once on, every non-RST segment carries the echo of TS.Recent; a RST does not', () => {
    const t = timestamped();
    expect(t.replies()).toEqual([`. ack ${RCV} win 65535 <TS val 0 ecr 500>`]);
    t.wait(10);
    t.sim.abort(t.id);
    expect(t.replies()).toEqual([`R ${SND}:${SND}(0) win 0`]);
  });
});

/** Established with timestamps (the peer's SYN,ACK carried `peerTsVal`); our ACK not yet read. */
function timestamped(peerTsVal = 500, options: { delayedAckMs?: number } = {}) {
  const t = synSent({ ...ts, ...options });
  t.send({
    flags: 'S.',
    seq: PEER_ISS,
    ack: ISS + 1,
    options: { mss: 1460, ts: { val: peerTsVal, ecr: 0 } },
  });
  return t;
}

describe('RTT measurement (RFC 7323 §4)', () => {
  it('an ACK of a retransmitted segment still gives a sample from its echo', () => {
    const t = timestamped();
    t.sim.sendData(t.id, new TextEncoder().encode('data'));
    t.wait(1000); // lost: retransmitted at RTO, TSval 1000
    t.replies();
    t.wait(30);
    t.send({ flags: '.', seq: RCV, ack: SND + 4, options: { ts: { val: 560, ecr: 1000 } } });
    // The handshake's sample was 0 (the hand-played peer answered at once); this one is 30 ms:
    // SRTT = 7/8 * 0 + 1/8 * 30 ms (RFC 6298 §2.3). Karn's rule alone would give no sample.
    expect(t.sim.status(t.id).metrics.srttUs).toBe(3750);
  });
});

describe('TS.Recent and PAWS (RFC 7323 §4.3, §5.3)', () => {
  it('TS.Recent follows segments that cover Last.ACK.sent', () => {
    const t = timestamped();
    t.replies();
    t.send({ flags: 'P.', seq: RCV, ack: SND, data: 'abc', options: { ts: { val: 600, ecr: 0 } } });
    expect(t.sim.connection(t.id).tsRecent).toBe(600);
    expect(t.replies()).toEqual([`. ack ${RCV + 3} win 65532 <TS val 0 ecr 600>`]);
  });

  it('a segment with an older timestamp is an old duplicate: acknowledged and dropped', () => {
    const t = timestamped();
    t.replies();
    t.send({ flags: 'P.', seq: RCV, ack: SND, data: 'old', options: { ts: { val: 400, ecr: 0 } } });
    expect(t.replies()).toEqual([`. ack ${RCV} win 65535 <TS val 0 ecr 500>`]);
    expect(t.sim.receive(t.id).data.length).toBe(0);
  });

  it('a RST is exempt from PAWS', () => {
    const t = timestamped();
    t.send({ flags: 'R', seq: RCV, options: { ts: { val: 1, ecr: 0 } } });
    expect(t.state()).toBe('CLOSED');
  });

  it('timestamps compare modulo 2^32 across the wrap', () => {
    const t = timestamped(0xffff_fff0);
    t.replies();
    t.send({ flags: 'P.', seq: RCV, ack: SND, data: 'new', options: { ts: { val: 5, ecr: 0 } } });
    expect(new TextDecoder().decode(t.sim.receive(t.id).data)).toBe('new');
  });
});

describe('established without timestamps is unchanged', () => {
  it('no option on data or ACKs', () => {
    const t = established();
    t.send({ flags: 'P.', seq: RCV, ack: SND, data: 'x' });
    expect(t.replies()).toEqual([`. ack ${RCV + 1} win 65534`]);
  });
});

describe('delayed ACK with timestamps (RFC 9293 §3.8.6.3)', () => {
  it('acknowledges every second full-sized segment: full means the 1448 bytes left beside the option', () => {
    const t = timestamped(500, { delayedAckMs: 40 });
    t.replies();
    const full = 'x'.repeat(1448);
    const options = { ts: { val: 501, ecr: 0 } };
    t.send({ flags: '.', seq: RCV, ack: SND, data: full, options });
    expect(t.replies()).toEqual([]); // the first waits for the delayed-ACK timer
    t.send({ flags: '.', seq: RCV + 1448, ack: SND, data: full, options });
    expect(t.replies()).toEqual([`. ack ${RCV + 2896} win 62639 <TS val 0 ecr 501>`]);
  });
});
