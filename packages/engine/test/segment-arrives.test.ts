// The rules of RFC 9293 §3.10.7 (with RFC 5961), one named test each: the segment the peer
// sends, the exact answer, and the state that follows.
import { describe, expect, it } from 'vitest';
import {
  closeWait,
  closed,
  established,
  ISS,
  listening,
  PEER,
  PEER_ISS,
  synSent,
  timeWait,
} from './lone.js';

const RCV = PEER_ISS + 1; // RCV.NXT once synchronized
const SND = ISS + 1; // SND.NXT once synchronized

describe('§3.10.7.1 CLOSED', () => {
  it('a SYN to a closed port gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>', () => {
    const t = closed();
    t.send({ flags: 'S', seq: PEER_ISS });
    expect(t.replies()).toEqual([`R. 0:0(0) ack ${PEER_ISS + 1} win 0`]);
  });

  it('an ACK to a closed port gets <SEQ=SEG.ACK><CTL=RST>', () => {
    const t = closed();
    t.send({ flags: 'P.', seq: PEER_ISS, ack: 7777, data: 'abc' });
    expect(t.replies()).toEqual(['R 7777:7777(0) win 0']);
  });

  it('a RST to a closed port is dropped', () => {
    const t = closed();
    t.send({ flags: 'R', seq: PEER_ISS });
    expect(t.replies()).toEqual([]);
  });
});

describe('§3.10.7.2 LISTEN', () => {
  it('an incoming RST is ignored', () => {
    const t = listening();
    t.send({ flags: 'R', seq: PEER_ISS });
    expect(t.replies()).toEqual([]);
    expect(t.state()).toBe('LISTEN');
  });

  it('an ACK gets <SEQ=SEG.ACK><CTL=RST>', () => {
    const t = listening();
    t.send({ flags: '.', seq: PEER_ISS, ack: 4242 });
    expect(t.replies()).toEqual(['R 4242:4242(0) win 0']);
    expect(t.state()).toBe('LISTEN');
  });

  it('a segment without SYN, ACK or RST is dropped', () => {
    const t = listening();
    t.send({ flags: 'F', seq: PEER_ISS });
    expect(t.replies()).toEqual([]);
    expect(t.sim.endpointIds()).toEqual([t.id]);
  });

  it('a SYN beyond the backlog is dropped, and the drop is traced', () => {
    const t = listening({ backlog: 1 });
    t.send({ flags: 'S', seq: PEER_ISS });
    t.replies();
    t.sim.inject(
      { ...PEER, port: PEER.port + 1 },
      { address: '10.0.0.1', port: 80 },
      {
        seq: PEER_ISS as never,
        ack: 0 as never,
        flags: 0x02,
        window: 65535,
        urgent: 0,
        options: {},
        payload: new Uint8Array(),
      },
    );
    t.sim.advance(0);
    expect(t.replies()).toEqual([]);
    expect(t.appEvents()).toEqual(['dropped-syn']);
  });
});

describe('§3.10.7.3 SYN-SENT', () => {
  it.each([
    ['SEG.ACK =< ISS', ISS],
    ['SEG.ACK > SND.NXT', ISS + 2],
  ])('an unacceptable ACK (%s) gets <SEQ=SEG.ACK><CTL=RST>', (_rule, ack) => {
    const t = synSent();
    t.send({ flags: 'S.', seq: PEER_ISS, ack });
    expect(t.replies()).toEqual([`R ${ack}:${ack}(0) win 0`]);
    expect(t.state()).toBe('SYN-SENT');
  });

  it('a RST with an acceptable ACK refuses the connection (ECONNREFUSED)', () => {
    const t = synSent();
    t.send({ flags: 'R.', seq: 0, ack: ISS + 1 });
    expect(t.state()).toBe('CLOSED');
    expect(t.appEvents()).toEqual(['error ECONNREFUSED']);
    expect(t.replies()).toEqual([]);
  });

  it('a RST without ACK is dropped (RFC 5961 §3.2)', () => {
    const t = synSent();
    t.send({ flags: 'R', seq: PEER_ISS });
    expect(t.state()).toBe('SYN-SENT');
    expect(t.replies()).toEqual([]);
  });

  it('a RST with an unacceptable ACK is dropped without an answer', () => {
    const t = synSent();
    t.send({ flags: 'R.', seq: 0, ack: ISS + 5 });
    expect(t.state()).toBe('SYN-SENT');
    expect(t.replies()).toEqual([]);
  });

  it('an acceptable ACK without SYN or RST is dropped', () => {
    const t = synSent();
    t.send({ flags: '.', seq: PEER_ISS, ack: ISS + 1 });
    expect(t.state()).toBe('SYN-SENT');
    expect(t.replies()).toEqual([]);
  });
});

describe('§3.10.7.4 synchronized states', () => {
  it('an unacceptable segment (old data) is answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>', () => {
    const t = established();
    t.send({ flags: 'P.', seq: RCV - 50, ack: SND, data: 'x'.repeat(10) });
    expect(t.replies()).toEqual([`. ack ${RCV} win 65535`]);
  });

  it('a RST at exactly RCV.NXT resets the connection (ECONNRESET)', () => {
    const t = established();
    t.send({ flags: 'R', seq: RCV });
    expect(t.state()).toBe('CLOSED');
    expect(t.appEvents()).toEqual(['error ECONNRESET']);
    expect(t.replies()).toEqual([]);
  });

  it('a RST deletes the TCB: data that arrived unread is flushed with it', () => {
    const t = established();
    t.send({ flags: 'P.', seq: RCV, ack: SND, data: 'unread' });
    t.send({ flags: 'R', seq: RCV + 6 });
    expect(t.sim.status(t.id).buffered).toEqual({ send: 0, unsent: 0, received: 0, outOfOrder: 0 });
    expect(t.sim.receive(t.id).data).toHaveLength(0);
  });

  it('a RST in the window but not at RCV.NXT gets a challenge ACK (RFC 5961 §3.2)', () => {
    const t = established();
    t.send({ flags: 'R', seq: RCV + 100 });
    expect(t.state()).toBe('ESTABLISHED');
    expect(t.replies()).toEqual([`. ack ${RCV} win 65535`]);
  });

  it('a RST outside the window is dropped silently', () => {
    const t = established();
    t.send({ flags: 'R', seq: RCV + 70_000 });
    expect(t.state()).toBe('ESTABLISHED');
    expect(t.replies()).toEqual([]);
  });

  it('a SYN in a synchronized state gets a challenge ACK (RFC 5961 §4.2)', () => {
    const t = established();
    t.send({ flags: 'S', seq: RCV + 10 });
    expect(t.state()).toBe('ESTABLISHED');
    expect(t.replies()).toEqual([`. ack ${RCV} win 65535`]);
  });

  it('an ACK of something not yet sent gets an ACK and the segment is dropped', () => {
    const t = established();
    t.send({ flags: 'P.', seq: RCV, ack: SND + 10, data: 'dropped' });
    expect(t.replies()).toEqual([`. ack ${RCV} win 65535`]);
    expect(t.sim.receive(t.id).data.length).toBe(0);
  });

  it('an ACK older than SND.UNA - MAX.SND.WND gets a challenge ACK (RFC 5961 §5.2)', () => {
    const t = established();
    t.send({ flags: 'P.', seq: RCV, ack: SND - 70_000, data: 'dropped' });
    expect(t.replies()).toEqual([`. ack ${RCV} win 65535`]);
    expect(t.sim.receive(t.id).data.length).toBe(0);
  });

  it('challenge ACKs are limited per second when the RFC 5961 §7 limit is set', () => {
    const t = established({ challengeAckLimit: 1 });
    t.send({ flags: 'R', seq: RCV + 100 });
    t.send({ flags: 'R', seq: RCV + 200 });
    expect(t.replies()).toEqual([`. ack ${RCV} win 65535`]);
    t.wait(1000);
    t.send({ flags: 'R', seq: RCV + 300 });
    expect(t.replies()).toEqual([`. ack ${RCV} win 65535`]);
  });

  it('a segment without ACK is dropped', () => {
    const t = established();
    t.send({ flags: 'P', seq: RCV, data: 'no ack' });
    expect(t.replies()).toEqual([]);
    expect(t.sim.receive(t.id).data.length).toBe(0);
  });

  it('in-order data is delivered and acknowledged', () => {
    const t = established();
    t.send({ flags: 'P.', seq: RCV, ack: SND, data: 'hello' });
    expect(t.replies()).toEqual([`. ack ${RCV + 5} win 65530`]);
    expect(new TextDecoder().decode(t.sim.receive(t.id).data)).toBe('hello');
  });

  it('out-of-order data gets a duplicate ACK at once and is delivered when the gap fills', () => {
    const t = established();
    t.send({ flags: 'P.', seq: RCV + 5, ack: SND, data: 'world' });
    expect(t.replies()).toEqual([`. ack ${RCV} win 65535`]);
    t.send({ flags: '.', seq: RCV, ack: SND, data: 'hello' });
    expect(t.replies()).toEqual([`. ack ${RCV + 10} win 65525`]);
    expect(new TextDecoder().decode(t.sim.receive(t.id).data)).toBe('helloworld');
  });

  it('duplicate data is discarded and acknowledged', () => {
    const t = established();
    t.send({ flags: 'P.', seq: RCV, ack: SND, data: 'hello' });
    t.replies();
    t.send({ flags: 'P.', seq: RCV, ack: SND, data: 'hello' });
    expect(t.replies()).toEqual([`. ack ${RCV + 5} win 65530`]);
    expect(new TextDecoder().decode(t.sim.receive(t.id).data)).toBe('hello');
  });

  it('data overlapping RCV.NXT is trimmed to the new part', () => {
    const t = established();
    t.send({ flags: 'P.', seq: RCV, ack: SND, data: 'hel' });
    t.send({ flags: 'P.', seq: RCV, ack: SND, data: 'hello' });
    expect(new TextDecoder().decode(t.sim.receive(t.id).data)).toBe('hello');
  });

  it('data after the peer FIN (CLOSE-WAIT) is ignored', () => {
    const t = closeWait();
    t.send({ flags: 'P.', seq: RCV + 1, ack: SND, data: 'late' });
    expect(t.sim.receive(t.id).data.length).toBe(0);
  });

  it('an older ACK does not update the send window (SND.WL1, SND.WL2)', () => {
    const t = established({ nagle: false });
    t.sim.sendData(t.id, new TextEncoder().encode('abc'));
    t.send({ flags: '.', seq: RCV, ack: SND + 3, window: 3000 });
    expect(t.sim.connection(t.id).sndWnd).toBe(3000);
    // Reordered on the way: an ACK from before, with the same SEG.SEQ and a smaller SEG.ACK.
    t.send({ flags: '.', seq: RCV, ack: SND, window: 50 });
    expect(t.sim.connection(t.id).sndWnd).toBe(3000);
  });

  it('data for an application that closed is answered with RST', () => {
    const t = established();
    t.sim.close(t.id);
    t.replies();
    t.send({ flags: 'P.', seq: RCV, ack: SND + 1, data: 'too late' });
    expect(t.replies()).toEqual([`R ${SND + 1}:${SND + 1}(0) win 0`]);
    expect(t.state()).toBe('CLOSED');
  });

  it('close with unread data aborts with RST', () => {
    const t = established();
    t.send({ flags: 'P.', seq: RCV, ack: SND, data: 'unread' });
    t.replies();
    t.sim.close(t.id);
    expect(t.replies()).toEqual([`R ${SND}:${SND}(0) win 0`]);
    expect(t.state()).toBe('CLOSED');
  });

  it('ABORT sends <SEQ=SND.NXT><CTL=RST> and closes', () => {
    const t = established();
    t.sim.abort(t.id);
    expect(t.replies()).toEqual([`R ${SND}:${SND}(0) win 0`]);
    expect(t.state()).toBe('CLOSED');
  });
});

describe('TIME-WAIT', () => {
  it('a retransmitted FIN is acknowledged again and the 2 MSL timer restarts', () => {
    const t = timeWait({ mslMs: 1000 });
    t.wait(1500);
    t.send({ flags: 'F.', seq: RCV, ack: SND + 1 });
    expect(t.replies()).toEqual([`. ack ${RCV + 1} win 65535`]);
    t.wait(1999);
    expect(t.state()).toBe('TIME-WAIT');
    t.wait(1);
    expect(t.state()).toBe('CLOSED');
  });

  it('a RST closes it (the RFC 793 behaviour, Linux default)', () => {
    const t = timeWait();
    t.send({ flags: 'R', seq: RCV + 1 });
    expect(t.state()).toBe('CLOSED');
  });

  it('a RST is ignored with RFC 1337 on', () => {
    const t = timeWait({ rfc1337: true });
    t.send({ flags: 'R', seq: RCV + 1 });
    expect(t.state()).toBe('TIME-WAIT');
  });
});
