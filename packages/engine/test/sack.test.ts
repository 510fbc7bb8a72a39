// SACK (RFC 2018): SACK-permitted in the SYNs, and the receiver's blocks for out-of-order data.
import { describe, expect, it } from 'vitest';
import { closed, ISS, PEER, PEER_ISS, synReceived, synSent } from './lone.js';

const RCV = PEER_ISS + 1;
const SND = ISS + 1;

function sackConnection(extra: { timestamps?: boolean } = {}) {
  const t = synSent({ sack: true, ...extra });
  const ts = extra.timestamps === true ? { ts: { val: 1, ecr: 0 } } : {};
  t.send({ flags: 'S.', seq: PEER_ISS, ack: SND, options: { mss: 1460, sackOk: true, ...ts } });
  t.replies();
  return t;
}

describe('SACK-permitted (RFC 2018 §2)', () => {
  it('is offered in an active SYN', () => {
    const t = closed({ sack: true });
    t.sim.connect(t.id, PEER);
    expect(t.replies()).toEqual([`S ${ISS}:${ISS}(0) win 65535 <mss 1460,sackOK>`]);
  });

  it('is answered in the SYN,ACK only when the SYN offered it', () => {
    expect(synReceived({ sack: true }, { sackOk: true }).sim.connection('e2').sackPermitted).toBe(
      true,
    );
    expect(synReceived({ sack: true }).sim.connection('e2').sackPermitted).toBe(false);
    expect(synReceived({ sack: false }, { sackOk: true }).sim.connection('e2').sackPermitted).toBe(
      false,
    );
  });
});

describe('SACK blocks (RFC 2018 §4)', () => {
  it('report out-of-order data, the latest segment first', () => {
    const t = sackConnection();
    t.send({ flags: 'P.', seq: RCV + 10, ack: SND, data: 'bbbbb' });
    expect(t.replies()).toEqual([`. ack ${RCV} win 65535 <sack 1 {${RCV + 10}:${RCV + 15}}>`]);
    t.send({ flags: 'P.', seq: RCV + 30, ack: SND, data: 'ccccc' });
    expect(t.replies()).toEqual([
      `. ack ${RCV} win 65535 <sack 2 {${RCV + 30}:${RCV + 35}}{${RCV + 10}:${RCV + 15}}>`,
    ]);
    t.send({ flags: 'P.', seq: RCV + 15, ack: SND, data: 'bbbbb' }); // extends the first block
    expect(t.replies()).toEqual([
      `. ack ${RCV} win 65535 <sack 2 {${RCV + 10}:${RCV + 20}}{${RCV + 30}:${RCV + 35}}>`,
    ]);
  });

  it('stop once the gaps are filled', () => {
    const t = sackConnection();
    t.send({ flags: 'P.', seq: RCV + 5, ack: SND, data: 'bbbbb' });
    t.replies();
    t.send({ flags: 'P.', seq: RCV, ack: SND, data: 'aaaaa' });
    expect(t.replies()).toEqual([`. ack ${RCV + 10} win 65525`]);
  });

  it('hold at most 3 blocks beside timestamps (40 bytes of options)', () => {
    const t = sackConnection({ timestamps: true });
    for (let i = 1; i <= 5; i++)
      t.send({
        flags: 'P.',
        seq: RCV + i * 10,
        ack: SND,
        data: 'x',
        options: { ts: { val: 2, ecr: 0 } },
      });
    const last = t.replies().at(-1) ?? '';
    // TS.Recent stays 1: out-of-order segments lie beyond Last.ACK.sent (RFC 7323 §4.3).
    expect(last).toMatch(/<TS val 0 ecr 1,sack 3 \{151:152\}\{111:112\}\{121:122\}>$/);
  });

  it('are not sent when SACK was not negotiated', () => {
    const t = synSent({ sack: true });
    t.send({ flags: 'S.', seq: PEER_ISS, ack: SND, options: { mss: 1460 } });
    t.replies();
    t.send({ flags: 'P.', seq: RCV + 10, ack: SND, data: 'b' });
    expect(t.replies()).toEqual([`. ack ${RCV} win 65535`]);
  });
});
