// Where Linux's segment handling departs from RFC 9293's text (option edgeRules), each beside
// the rule it departs from.
import { describe, expect, it } from 'vitest';
import type { EndpointOptions } from '../src/tcp/options.js';
import { established, ISS, PEER_ISS, synSent } from './lone.js';

const RCV = PEER_ISS + 1;
const SND = ISS + 1;
const ts = (val: number, ecr: number) => ({ ts: { val, ecr } });

/** Established with timestamps on both sides; the peer's TSval 100. */
function timestamped(options: Partial<EndpointOptions> = {}) {
  const t = synSent({ timestamps: true, ...options });
  t.send({ flags: 'S.', seq: PEER_ISS, ack: SND, options: { mss: 1460, ...ts(100, 0) } });
  t.replies();
  return t;
}

describe('an ACK of data not yet sent', () => {
  it('rfc: an ACK and the segment dropped (RFC 9293 §3.10.7.4, RFC 5961 §5.2)', () => {
    const t = established();
    t.send({ flags: '.', seq: RCV, ack: SND + 500 });
    expect(t.replies()).toEqual([`. ack ${RCV} win 65535`]);
  });

  it('linux: dropped without a word (tcp_ack)', () => {
    const t = established({ edgeRules: 'linux' });
    t.send({ flags: '.', seq: RCV, ack: SND + 500 });
    expect(t.replies()).toEqual([]);
  });
});

describe('TS.Recent and a segment whose ACK is bogus', () => {
  function bogusThenData(edgeRules: 'rfc' | 'linux') {
    const t = timestamped({ edgeRules });
    t.send({ flags: 'F.', seq: RCV, ack: SND + 9000, options: ts(200_000, 0) });
    t.replies();
    t.send({ flags: '.', seq: RCV, ack: SND, data: 'x', options: ts(201, 0) });
    return t;
  }

  it('rfc: RFC 7323 §4.3 records its TSval before the ACK is checked; the next echo is stale', () => {
    const t = bogusThenData('rfc');
    expect(t.sim.connection(t.id).tsRecent).toBe(200_000);
  });

  it('linux: recorded only after a valid ACK (tcp_replace_ts_recent)', () => {
    const t = bogusThenData('linux');
    expect(t.sim.connection(t.id).tsRecent).toBe(201);
  });
});

describe('the RST of an abort', () => {
  it('rfc: a bare RST at SND.NXT (RFC 9293 §3.10.5), no timestamp (RFC 7323 §3.2)', () => {
    const t = timestamped();
    t.sim.abort(t.id);
    expect(t.replies()).toEqual([`R ${SND}:${SND}(0) win 0`]);
  });

  it('linux: RST,ACK with the timestamp option (tcp_send_active_reset)', () => {
    const t = timestamped({ edgeRules: 'linux' });
    t.wait(5);
    t.sim.abort(t.id);
    expect(t.replies()).toEqual([`R. ${SND}:${SND}(0) ack ${RCV} win 65535 <TS val 5 ecr 100>`]);
  });
});

describe('CLOSE with data still unsent', () => {
  /** A window of one segment, two queued, then CLOSE: the second and the FIN wait. */
  function closeBehindData(edgeRules: 'rfc' | 'linux') {
    const t = established({ edgeRules, nagle: false, mss: 100 });
    t.send({ flags: '.', seq: RCV, ack: SND, window: 100 });
    t.sim.sendData(t.id, new TextEncoder().encode('x'.repeat(200)));
    t.sim.close(t.id);
    expect(t.replies()).toEqual([`. ${SND}:${SND + 100}(100) ack ${RCV} win 65535`]);
    t.send({ flags: '.', seq: RCV, ack: SND + 100, window: 200 });
    return t.replies();
  }

  it('rfc: the FIN follows the data in a segment of its own (RFC 9293 §3.10.4)', () => {
    expect(closeBehindData('rfc')).toEqual([
      `P. ${SND + 100}:${SND + 200}(100) ack ${RCV} win 65535`,
      `F. ${SND + 200}:${SND + 200}(0) ack ${RCV} win 65535`,
    ]);
  });

  it('linux: the FIN rides on the last data segment (tcp_send_fin)', () => {
    expect(closeBehindData('linux')).toEqual([
      `FP. ${SND + 100}:${SND + 200}(100) ack ${RCV} win 65535`,
    ]);
  });
});

describe('data for an application that closed', () => {
  /** The application reads nothing more (close); then the peer sends data. */
  function dataAfterClose(edgeRules: 'rfc' | 'linux') {
    const t = established({ edgeRules });
    t.sim.close(t.id);
    expect(t.replies()).toEqual([`F. ${SND}:${SND}(0) ack ${RCV} win 65535`]);
    t.send({ flags: 'P.', seq: RCV, ack: SND, data: 'late' });
    return t;
  }

  it('rfc: a reset at SND.NXT, and the connection is gone', () => {
    const t = dataAfterClose('rfc');
    expect(t.replies()).toEqual([`R ${SND + 1}:${SND + 1}(0) win 0`]);
    expect(t.state()).toBe('CLOSED');
  });

  it('linux: the reset answers the segment, <SEQ=SEG.ACK><CTL=RST> (tcp_v4_send_reset)', () => {
    const t = dataAfterClose('linux');
    expect(t.replies()).toEqual([`R ${SND}:${SND}(0) win 0`]);
    expect(t.state()).toBe('CLOSED');
  });
});
