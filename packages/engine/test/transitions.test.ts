// Every transition of RFC 9293 Figure 5, one named test each, with the exact segments sent.
import { describe, expect, it } from 'vitest';
import {
  closeWait,
  closed,
  closing,
  established,
  finWait1,
  finWait2,
  ISS,
  lastAck,
  listening,
  PEER,
  PEER_ISS,
  synReceived,
  synSent,
  timeWait,
} from './lone.js';

describe('RFC 9293 Figure 5', () => {
  it('closed passive OPEN -> LISTEN, sending nothing', () => {
    const t = closed();
    t.sim.listen(t.id);
    expect(t.state()).toBe('LISTEN');
    expect(t.replies()).toEqual([]);
  });

  it('closed active OPEN -> SYN-SENT, sending SYN', () => {
    const t = closed();
    t.sim.connect(t.id, PEER);
    expect(t.state()).toBe('SYN-SENT');
    expect(t.replies()).toEqual([`S ${ISS}:${ISS}(0) win 65535 <mss 1460>`]);
  });

  it('listen rcv SYN -> SYN-RECEIVED (a new endpoint), sending SYN,ACK', () => {
    const t = listening();
    const listener = t.id;
    t.send({ flags: 'S', seq: PEER_ISS, options: { mss: 1460 } });
    expect(t.replies()).toEqual([`S. ${ISS}:${ISS}(0) ack ${PEER_ISS + 1} win 65535 <mss 1460>`]);
    const child = t.sim.endpointIds().find((id) => t.sim.endpointInfo(id).parentId === listener);
    expect(child && t.sim.endpointInfo(child).state).toBe('SYN-RECEIVED');
    expect(t.sim.endpointInfo(listener).state).toBe('LISTEN');
  });

  it('listen SEND (active OPEN) -> SYN-SENT, sending SYN', () => {
    const t = listening();
    t.sim.connect(t.id, PEER);
    expect(t.state()).toBe('SYN-SENT');
    expect(t.replies()).toEqual([`S ${ISS}:${ISS}(0) win 65535 <mss 1460>`]);
  });

  it('listen CLOSE -> CLOSED', () => {
    const t = listening();
    t.sim.close(t.id);
    expect(t.state()).toBe('CLOSED');
    expect(t.replies()).toEqual([]);
  });

  it('syn-sent CLOSE -> CLOSED', () => {
    const t = synSent();
    t.sim.close(t.id);
    expect(t.state()).toBe('CLOSED');
    expect(t.replies()).toEqual([]);
  });

  it('syn-sent rcv SYN -> SYN-RECEIVED (simultaneous open), sending SYN,ACK', () => {
    const t = synSent();
    t.send({ flags: 'S', seq: PEER_ISS, options: { mss: 1460 } });
    expect(t.state()).toBe('SYN-RECEIVED');
    expect(t.replies()).toEqual([`S. ${ISS}:${ISS}(0) ack ${PEER_ISS + 1} win 65535 <mss 1460>`]);
  });

  it('syn-sent rcv SYN,ACK -> ESTABLISHED, sending ACK', () => {
    const t = synSent();
    t.send({ flags: 'S.', seq: PEER_ISS, ack: ISS + 1, options: { mss: 1460 } });
    expect(t.state()).toBe('ESTABLISHED');
    expect(t.replies()).toEqual([`. ack ${PEER_ISS + 1} win 65535`]);
  });

  it('syn-received rcv ACK of SYN -> ESTABLISHED, sending nothing', () => {
    const t = synReceived();
    t.send({ flags: '.', seq: PEER_ISS + 1, ack: ISS + 1 });
    expect(t.state()).toBe('ESTABLISHED');
    expect(t.replies()).toEqual([]);
  });

  it('syn-received CLOSE -> FIN-WAIT-1, sending FIN', () => {
    const t = synReceived();
    t.sim.close(t.id);
    expect(t.state()).toBe('FIN-WAIT-1');
    expect(t.replies()).toEqual([`F. ${ISS + 1}:${ISS + 1}(0) ack ${PEER_ISS + 1} win 65535`]);
  });

  it('syn-received CLOSE, then the SYN,ACK is lost: both SYN,ACK and FIN are sent again', () => {
    const t = synReceived();
    t.sim.close(t.id);
    t.replies();
    t.wait(1000);
    expect(t.replies()).toEqual([
      `S. ${ISS}:${ISS}(0) ack ${PEER_ISS + 1} win 65535 <mss 1460>`,
      `F. ${ISS + 1}:${ISS + 1}(0) ack ${PEER_ISS + 1} win 65535`,
    ]);
    t.send({ flags: '.', seq: PEER_ISS + 1, ack: ISS + 2 });
    expect(t.state()).toBe('FIN-WAIT-2');
  });

  it('syn-received rcv RST (passive) -> the endpoint ends, the listener stays in LISTEN', () => {
    const t = synReceived();
    t.send({ flags: 'R', seq: PEER_ISS + 1 });
    expect(t.state()).toBe('CLOSED');
    expect(t.sim.endpointInfo('e1').state).toBe('LISTEN');
    expect(t.replies()).toEqual([]);
  });

  it('syn-received rcv SYN,ACK after simultaneous open -> ESTABLISHED', () => {
    const t = synSent();
    t.send({ flags: 'S', seq: PEER_ISS });
    t.replies();
    t.send({ flags: 'S.', seq: PEER_ISS, ack: ISS + 1 });
    expect(t.transitions()).toEqual([
      'CLOSED -> SYN-SENT (active OPEN)',
      'SYN-SENT -> SYN-RECEIVED (rcv SYN (simultaneous open))',
      'SYN-RECEIVED -> ESTABLISHED (rcv SYN,ACK (simultaneous open))',
    ]);
    expect(t.replies()).toEqual([]);
  });

  it('established CLOSE -> FIN-WAIT-1, sending FIN', () => {
    const t = established();
    t.sim.shutdown(t.id);
    expect(t.state()).toBe('FIN-WAIT-1');
    expect(t.replies()).toEqual([`F. ${ISS + 1}:${ISS + 1}(0) ack ${PEER_ISS + 1} win 65535`]);
  });

  it('established rcv FIN -> CLOSE-WAIT, sending ACK', () => {
    const t = established();
    t.send({ flags: 'F.', seq: PEER_ISS + 1, ack: ISS + 1 });
    expect(t.state()).toBe('CLOSE-WAIT');
    expect(t.replies()).toEqual([`. ack ${PEER_ISS + 2} win 65535`]);
  });

  it('fin-wait-1 rcv ACK of FIN -> FIN-WAIT-2', () => {
    const t = finWait1();
    t.send({ flags: '.', seq: PEER_ISS + 1, ack: ISS + 2 });
    expect(t.state()).toBe('FIN-WAIT-2');
    expect(t.replies()).toEqual([]);
  });

  it('fin-wait-1 rcv FIN -> CLOSING (simultaneous close), sending ACK', () => {
    const t = finWait1();
    t.send({ flags: 'F.', seq: PEER_ISS + 1, ack: ISS + 1 });
    expect(t.state()).toBe('CLOSING');
    expect(t.replies()).toEqual([`. ack ${PEER_ISS + 2} win 65535`]);
  });

  it('fin-wait-1 rcv FIN,ACK of our FIN -> TIME-WAIT, sending ACK', () => {
    const t = finWait1();
    t.send({ flags: 'F.', seq: PEER_ISS + 1, ack: ISS + 2 });
    expect(t.state()).toBe('TIME-WAIT');
    expect(t.replies()).toEqual([`. ack ${PEER_ISS + 2} win 65535`]);
  });

  it('fin-wait-2 rcv FIN -> TIME-WAIT, sending ACK', () => {
    const t = finWait2();
    t.send({ flags: 'F.', seq: PEER_ISS + 1, ack: ISS + 2 });
    expect(t.state()).toBe('TIME-WAIT');
    expect(t.replies()).toEqual([`. ack ${PEER_ISS + 2} win 65535`]);
  });

  it('closing rcv ACK of FIN -> TIME-WAIT', () => {
    const t = closing();
    t.send({ flags: '.', seq: PEER_ISS + 2, ack: ISS + 2 });
    expect(t.state()).toBe('TIME-WAIT');
    expect(t.replies()).toEqual([]);
  });

  it('time-wait 2MSL timeout -> CLOSED', () => {
    const t = timeWait({ mslMs: 1000 });
    t.wait(1999);
    expect(t.state()).toBe('TIME-WAIT');
    t.wait(1);
    expect(t.state()).toBe('CLOSED');
    expect(t.transitions().at(-1)).toBe('TIME-WAIT -> CLOSED (2MSL timeout)');
  });

  it('close-wait CLOSE -> LAST-ACK, sending FIN', () => {
    const t = closeWait();
    t.sim.shutdown(t.id);
    expect(t.state()).toBe('LAST-ACK');
    expect(t.replies()).toEqual([`F. ${ISS + 1}:${ISS + 1}(0) ack ${PEER_ISS + 2} win 65535`]);
  });

  it('last-ack rcv ACK of FIN -> CLOSED', () => {
    const t = lastAck();
    t.send({ flags: '.', seq: PEER_ISS + 2, ack: ISS + 2 });
    expect(t.state()).toBe('CLOSED');
    expect(t.replies()).toEqual([]);
  });
});
