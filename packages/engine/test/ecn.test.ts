// ECN (RFC 3168) as Linux runs it: the negotiation in the SYNs (§6.1.1), which segments go
// ECN-capable (§6.1.2, §6.1.4-6.1.6), the receiver's echo until CWR (§6.1.3), the sender's one
// cut per window of data (§6.1.2), the link marking CE where it would drop (§5), and the
// codepoint in the capture. MSS 1000 and an initial window of 10, as Linux's packetdrill
// scripts have them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { carry, DEFAULT_LINK } from '../src/net/link.js';
import { Prng } from '../src/sim/prng.js';
import { Simulation, type SimulationSnapshot } from '../src/sim/simulation.js';
import type { CongestionAlgorithm } from '../src/tcp/congestion/index.js';
import type { EndpointOptions } from '../src/tcp/options.js';
import type { TraceEvent } from '../src/trace/events.js';
import { toPcapng } from '../src/trace/pcapng.js';
import { internetChecksum } from '../src/wire/checksum.js';
import type { EcnCodepoint } from '../src/wire/ecn.js';
import { CLIENT, pair, SERVER, text, type Pair } from './harness.js';
import { closed, ISS, listening, PEER, PEER_ISS, type Lone } from './lone.js';

type SegmentEvent = Extract<TraceEvent, { kind: 'segment' }>;

const MSS = 1000;
const LINUXISH: Partial<EndpointOptions> = { mss: MSS, initialWindow: 10, nagle: false };

/** SYN-SENT: our SYN is out (and read), with `options`. */
function synSent(options: Partial<EndpointOptions>): Lone {
  const t = closed({ ...LINUXISH, ...options });
  t.sim.connect(t.id, PEER);
  return t;
}

/** ESTABLISHED with ECN: we asked (`on`), the peer's SYN-ACK agreed. */
function ecnEstablished(options: Partial<EndpointOptions> = {}): Lone {
  const t = synSent({ ecn: 'on', ...options });
  t.send({ flags: 'SE.', seq: PEER_ISS, ack: ISS + 1, options: { mss: MSS } });
  t.replies();
  return t;
}

/** Ten segments in flight (1001:11001), nothing acknowledged yet. */
function tenInFlight(options: Partial<EndpointOptions> = {}): Lone {
  const t = ecnEstablished(options);
  t.sim.sendData(t.id, new Uint8Array(30 * MSS));
  t.replies();
  return t;
}

/** The peer acknowledges up to `ack` (our ISS is 1000: data starts at 1001), ECE when `ece`. */
function ackFromPeer(t: Lone, ack: number, ece = true): Lone {
  return t.send({ flags: ece ? 'E.' : '.', seq: PEER_ISS + 1, ack });
}

/** The phases of the endpoint under test so far. */
function phasesOf(t: Lone): string[] {
  t.transitions(); // collects the trace
  return phases(t.trace, t.id);
}

function cwnd(t: Lone): { cwnd: number; ssthresh: number } {
  const { cwnd, ssthresh } = t.sim.status(t.id).metrics;
  return { cwnd, ssthresh };
}

/** The congestion phases the endpoint went through, with causes. */
function phases(trace: TraceEvent[], id: string): string[] {
  return trace.flatMap((e) =>
    e.kind === 'congestion' && e.endpointId === id ? [`${e.from} -> ${e.to} (${e.cause})`] : [],
  );
}

describe('negotiation (RFC 3168 §6.1.1)', () => {
  it.each<[EndpointOptions['ecn'], string]>([
    ['on', 'SEW 1000:1000(0) win 65535 <mss 1000>'],
    ['passive', 'S 1000:1000(0) win 65535 <mss 1000>'],
    ['off', 'S 1000:1000(0) win 65535 <mss 1000>'],
  ])('CLOSED, active OPEN with ecn %s -> SYN %s', (ecn, syn) => {
    expect(synSent({ ecn }).replies()).toEqual([syn]);
  });

  it.each<[string, string, string]>([
    ['SE.', 'ECN-setup SYN-ACK: ECN on', '[ect0] P. 1001:1006(5) ack 101 win 65535'],
    ['S.', 'no ECE: the peer declined', 'P. 1001:1006(5) ack 101 win 65535'],
    [
      'SEW.',
      'ECE and CWR: our flags reflected, not an answer',
      'P. 1001:1006(5) ack 101 win 65535',
    ],
  ])('SYN-SENT (ecn on) rcv %s (%s) -> data %s', (flags, _why, data) => {
    const t = synSent({ ecn: 'on' });
    t.replies();
    t.send({ flags, seq: PEER_ISS, ack: ISS + 1, options: { mss: MSS } });
    // The handshake's ACK is a pure ACK: Not-ECT (§6.1.4).
    expect(t.replies()).toEqual(['. ack 101 win 65535']);
    t.sim.sendData(t.id, text('hello'));
    expect(t.replies()).toEqual([data]);
    // ECE in a SYN-ACK says "ECN-capable", not congestion: the initial window stands.
    expect(cwnd(t).cwnd).toBe(10 * MSS);
  });

  it('SYN-SENT, the SYN times out -> it is resent without ECE and CWR (Linux tcp_ecn_fallback)', () => {
    const t = synSent({ ecn: 'on' });
    expect(t.replies()).toEqual(['SEW 1000:1000(0) win 65535 <mss 1000>']);
    t.wait(1000);
    expect(t.replies()).toEqual(['S 1000:1000(0) win 65535 <mss 1000>']);
    t.wait(2000);
    expect(t.replies()).toEqual(['S 1000:1000(0) win 65535 <mss 1000>']);
    // A SYN-ACK that answers the first SYN still turns ECN on, as in Linux (the flags are
    // cleared from the retransmitted SYN, not from the connection).
    t.send({ flags: 'SE.', seq: PEER_ISS, ack: ISS + 1, options: { mss: MSS } });
    t.replies();
    t.sim.sendData(t.id, text('hello'));
    expect(t.replies()).toEqual(['[ect0] P. 1001:1006(5) ack 101 win 65535']);
  });

  it.each<[EndpointOptions['ecn'], string, EcnCodepoint | undefined, string, boolean]>([
    ['passive', 'SEW', undefined, 'SE.', true],
    ['on', 'SEW', undefined, 'SE.', true],
    ['off', 'SEW', undefined, 'S.', false],
    ['passive', 'S', undefined, 'S.', false],
    ['passive', 'SE', undefined, 'S.', false],
    // A SYN may not be ECN-capable (§6.1.1); Linux declines one that is (tcp_ecn_create_request).
    ['passive', 'SEW', 'ect0', 'S.', false],
  ])('LISTEN (ecn %s) rcv %s %s -> %s', (ecn, flags, codepoint, synAck, agreed) => {
    const t = listening({ ...LINUXISH, ecn });
    const listener = t.id;
    t.send({
      flags,
      seq: PEER_ISS,
      options: { mss: MSS },
      ...(codepoint === undefined ? {} : { ecn: codepoint }),
    });
    t.id = t.sim.endpointIds().find((id) => t.sim.endpointInfo(id).parentId === listener)!;
    expect(t.replies()).toEqual([`${synAck} 1000:1000(0) ack 101 win 65535 <mss 1000>`]);
    t.send({ flags: '.', seq: PEER_ISS + 1, ack: ISS + 1 });
    t.sim.sendData(t.id, text('hi'));
    expect(t.replies()).toEqual([`${agreed ? '[ect0] ' : ''}P. 1001:1003(2) ack 101 win 65535`]);
  });

  it('a SYN-ACK is resent with ECE (Linux tcp_ecn_make_synack on every SYN-ACK)', () => {
    const t = listening({ ...LINUXISH, ecn: 'passive' });
    t.send({ flags: 'SEW', seq: PEER_ISS, options: { mss: MSS } });
    t.wait(1000);
    expect(t.replies()).toEqual([
      'SE. 1000:1000(0) ack 101 win 65535 <mss 1000>',
      'SE. 1000:1000(0) ack 101 win 65535 <mss 1000>',
    ]);
  });

  function handshake(client: EndpointOptions['ecn'], server: EndpointOptions['ecn']): Pair {
    const p = pair({ client: { ...LINUXISH, ecn: client }, server: { ...LINUXISH, ecn: server } });
    p.sim.listen(p.server);
    p.sim.connect(p.client, SERVER);
    p.run(100);
    p.sim.sendData(p.client, text('ping'));
    p.run(100);
    p.sim.sendData(p.accepted(), text('pong'));
    p.run(100);
    return p;
  }

  it('both sides willing (on, passive): SEW, SE., then data ECT(0) both ways, ACKs Not-ECT', () => {
    expect(handshake('on', 'passive').lines()).toEqual([
      '> SEW 1000:1000(0) win 65535 <mss 1000>',
      '< SE. 5000:5000(0) ack 1001 win 65535 <mss 1000>',
      '> . ack 5001 win 65535',
      '> [ect0] P. 1001:1005(4) ack 5001 win 65535',
      '< . ack 1005 win 65531',
      '< [ect0] P. 5001:5005(4) ack 1005 win 65531',
      '> . ack 5005 win 65531',
    ]);
  });

  it.each<[EndpointOptions['ecn'], EndpointOptions['ecn'], string]>([
    ['on', 'off', '< S. 5000:5000(0) ack 1001 win 65535 <mss 1000>'],
    ['passive', 'on', '< S. 5000:5000(0) ack 1001 win 65535 <mss 1000>'],
    ['off', 'on', '< S. 5000:5000(0) ack 1001 win 65535 <mss 1000>'],
  ])('client %s, server %s: no ECN, every segment Not-ECT', (client, server, synAck) => {
    const lines = handshake(client, server).lines();
    expect(lines[1]).toBe(synAck);
    expect(lines.filter((l) => l.includes('[ect') || /[EW]/.test(l.split(' ')[1]!))).toEqual(
      client === 'on' ? ['> SEW 1000:1000(0) win 65535 <mss 1000>'] : [],
    );
  });
});

describe('ECN-capable segments (RFC 3168 §6.1.2, §6.1.4-6.1.6)', () => {
  it('ESTABLISHED: new data ECT(0); pure ACKs, retransmissions and the FIN Not-ECT', () => {
    const t = ecnEstablished();
    t.sim.sendData(t.id, text('hello'));
    expect(t.replies()).toEqual(['[ect0] P. 1001:1006(5) ack 101 win 65535']);
    t.wait(1000); // the retransmission timer fires: §6.1.5, a retransmission is Not-ECT
    expect(t.replies()).toEqual(['P. 1001:1006(5) ack 101 win 65535']);
    t.send({ flags: 'P.', seq: PEER_ISS + 1, ack: ISS + 6, data: 'world', ecn: 'ect0' });
    t.wait(200); // §6.1.4: the ACK of the peer's data is a pure ACK, Not-ECT
    expect(t.replies()).toEqual(['. ack 106 win 65530']);
    t.sim.shutdown(t.id);
    expect(t.replies()).toEqual(['F. 1006:1006(0) ack 106 win 65530']);
  });
});

describe('receiver (RFC 3168 §6.1.3)', () => {
  it('rcv CE -> ECE at once, then on every segment until data with CWR arrives', () => {
    const t = ecnEstablished({ delayedAckMs: 40 });
    const data = (at: number, flags: string, ecn: EcnCodepoint) =>
      t.send({ flags, seq: PEER_ISS + 1 + at, ack: ISS + 1, data: 'x'.repeat(100), ecn });
    data(0, 'P.', 'ect0');
    t.wait(100);
    expect(t.replies()).toEqual(['. ack 201 win 65435']); // delayed, no echo
    data(100, 'P.', 'ce');
    // Linux acknowledges the first CE at once (quick-ACK mode in __tcp_ecn_check_ce).
    expect(t.replies()).toEqual(['E. ack 301 win 65335']);
    data(200, 'P.', 'ect0');
    t.wait(100);
    expect(t.replies()).toEqual(['E. ack 401 win 65235']); // still echoing
    t.sim.sendData(t.id, text('0123456789'));
    expect(t.replies()).toEqual(['[ect0] PE. 1001:1011(10) ack 401 win 65235']); // data too
    t.send({
      flags: 'PW.',
      seq: PEER_ISS + 301,
      ack: ISS + 11,
      data: 'x'.repeat(100),
      ecn: 'ect0',
    });
    // CWR ends the echo, and is acknowledged at once (tcp_ecn_accept_cwr).
    expect(t.replies()).toEqual(['. ack 501 win 65135']);
    data(400, 'P.', 'ect0');
    t.wait(100);
    expect(t.replies()).toEqual(['. ack 601 win 65035']); // delayed again, no echo
    data(500, 'P.', 'ce');
    expect(t.replies()).toEqual(['E. ack 701 win 64935']); // a new mark, a new echo
  });

  it('ackPolicy linux: the first CE enters quick-ACK mode for two ACKs (__tcp_ecn_check_ce)', () => {
    const t = ecnEstablished({ ackPolicy: 'linux', delayedAckMs: 40 });
    let seq = PEER_ISS + 1;
    const data = (ecn: EcnCodepoint) => {
      t.send({ flags: 'P.', seq, ack: ISS + 1, data: 'x'.repeat(100), ecn });
      seq += 100;
      t.wait(10);
      return t.replies();
    };
    // The quick ACKs of the connection's start (16 at most) run out first.
    for (let i = 0; i < 16; i += 1) data('ect0');
    expect(data('ect0')).toEqual([]); // delayed now
    t.wait(100);
    t.replies();
    expect(data('ce')).toEqual(['E. ack 1901 win 63735']);
    expect(data('ect0')).toEqual(['E. ack 2001 win 63635']); // the second quick ACK
    expect(data('ect0')).toEqual([]); // delayed again, echo still on
    t.wait(100);
    expect(t.replies()).toEqual(['E. ack 2101 win 63535']);
  });

  it('a CWR segment that was itself marked CE keeps the echo going', () => {
    const t = ecnEstablished();
    t.send({ flags: 'P.', seq: PEER_ISS + 1, ack: ISS + 1, data: 'x'.repeat(100), ecn: 'ce' });
    expect(t.replies()).toEqual(['E. ack 201 win 65435']);
    t.send({ flags: 'PW.', seq: PEER_ISS + 101, ack: ISS + 1, data: 'x'.repeat(100), ecn: 'ce' });
    expect(t.replies()).toEqual(['E. ack 301 win 65335']);
  });

  it('CE on a connection without ECN is ignored: no ECE', () => {
    const t = synSent({ ecn: 'off', delayedAckMs: 0 });
    t.send({ flags: 'S.', seq: PEER_ISS, ack: ISS + 1, options: { mss: MSS } });
    t.replies();
    t.send({ flags: 'P.', seq: PEER_ISS + 1, ack: ISS + 1, data: 'x'.repeat(100), ecn: 'ce' });
    expect(t.replies()).toEqual(['. ack 201 win 65435']);
  });
});

describe('sender (RFC 3168 §6.1.2)', () => {
  it.each<[CongestionAlgorithm, number]>([
    // RFC 5681 equation (4) as for a loss: FlightSize 10 segments / 2.
    ['newreno', 5 * MSS],
    // RFC 9438 §4.6: cwnd * beta_cubic = 10 * 0.7 (Linux's ssthresh in the cwnd-moderation script).
    ['cubic', 7 * MSS],
  ])(
    '%s: rcv ECE -> one cut to %i, nothing resent, CWR on the next new data',
    (congestion, cut) => {
      const t = tenInFlight({ congestion });
      ackFromPeer(t, 2001);
      expect(cwnd(t)).toEqual({ cwnd: cut, ssthresh: cut });
      expect(t.replies()).toEqual([]); // 9 segments in flight, over the new cwnd
      // Once the flight is under cwnd each ACK releases a segment; the first new one says CWR.
      for (let ack = 3001; ack <= 12001 - cut; ack += MSS) ackFromPeer(t, ack);
      expect(t.replies()).toEqual(['[ect0] W. 11001:12001(1000) ack 101 win 65535']);
      ackFromPeer(t, 13001 - cut);
      expect(t.replies()).toEqual(['[ect0] . 12001:13001(1000) ack 101 win 65535']);
      expect(cwnd(t)).toEqual({ cwnd: cut, ssthresh: cut }); // no growth while in CWR
      expect(phasesOf(t)).toEqual(['slow-start -> cwr (ECN-Echo)']);
      expect(t.sim.status(t.id).counters.retransmissions).toBe(0);
      // tcp_info as Linux reports it: TCP_CA_CWR (2), TCPI_OPT_ECN (8) among the options.
      const info = t.sim.connection(t.id).tcpInfo(t.sim.nowUs);
      expect(info.tcpi_ca_state).toBe(2);
      expect(info.tcpi_options & 8).toBe(8);
      expect(info.tcpi_snd_ssthresh).toBe(cut / MSS);
    },
  );

  it('several ECEs in one window -> exactly one cut; CWR acknowledged -> the next ECE cuts again', () => {
    const t = tenInFlight();
    for (let ack = 2001; ack <= 11001; ack += MSS) ackFromPeer(t, ack);
    // Ten ECEs for one window of data (1001:11001): one cut.
    expect(cwnd(t)).toEqual({ cwnd: 5 * MSS, ssthresh: 5 * MSS });
    expect(t.replies()[0]).toBe('[ect0] W. 11001:12001(1000) ack 101 win 65535');
    // This ACK covers the CWR segment, past the window the cut was for: CWR ends (Linux's
    // tcp_fastretrans_alert), and its ECE, which outlived our CWR, is new congestion.
    ackFromPeer(t, 12001);
    expect(phasesOf(t)).toEqual([
      'slow-start -> cwr (ECN-Echo)',
      'cwr -> congestion-avoidance (new ACK)',
      'congestion-avoidance -> cwr (ECN-Echo)',
    ]);
    // FlightSize was 5 segments (11001:16001): ssthresh = max(2.5, 2) segments.
    expect(cwnd(t)).toEqual({ cwnd: 2.5 * MSS, ssthresh: 2.5 * MSS });
  });

  it('an ACK past the window without ECE ends CWR: growth resumes in congestion avoidance', () => {
    const t = tenInFlight();
    for (let ack = 2001; ack <= 11001; ack += MSS) ackFromPeer(t, ack);
    ackFromPeer(t, 12001, false);
    expect(phasesOf(t)).toEqual([
      'slow-start -> cwr (ECN-Echo)',
      'cwr -> congestion-avoidance (new ACK)',
    ]);
    expect(cwnd(t)).toEqual({ cwnd: 5 * MSS, ssthresh: 5 * MSS });
  });

  it('CWR, three duplicate ACKs -> fast retransmit without a second cut', () => {
    const t = tenInFlight();
    ackFromPeer(t, 2001); // and segment 2001:3001 was lost: duplicates follow
    t.replies();
    for (let i = 0; i < 3; i += 1) ackFromPeer(t, 2001, false);
    expect(t.replies()).toEqual(['. 2001:3001(1000) ack 101 win 65535']); // Not-ECT (§6.1.5)
    expect(phasesOf(t)).toEqual([
      'slow-start -> cwr (ECN-Echo)',
      'cwr -> fast-recovery (duplicate ACKs)',
    ]);
    // ssthresh stays at the ECN cut; NewReno inflates by the three duplicates.
    expect(cwnd(t)).toEqual({ cwnd: 8 * MSS, ssthresh: 5 * MSS });
  });

  it('CWR, then a retransmission timeout -> ssthresh is not cut a second time', () => {
    const t = tenInFlight();
    ackFromPeer(t, 2001);
    t.wait(1000);
    expect(cwnd(t)).toEqual({ cwnd: MSS, ssthresh: 5 * MSS });
  });

  it('a loss cuts the window too: the first new data after fast recovery carries CWR', () => {
    const t = tenInFlight();
    for (let i = 0; i < 3; i += 1) ackFromPeer(t, 1001, false); // 1001:2001 lost
    expect(t.replies()).toEqual([
      // RFC 3042: the first two duplicates each release new data, before any cut: no CWR.
      '[ect0] . 11001:12001(1000) ack 101 win 65535',
      '[ect0] . 12001:13001(1000) ack 101 win 65535',
      '. 1001:2001(1000) ack 101 win 65535', // the fast retransmission, Not-ECT
    ]);
    ackFromPeer(t, 13001, false); // the full ACK ends recovery
    expect(t.replies()[0]).toBe('[ect0] W. 13001:14001(1000) ack 101 win 65535');
  });

  it('a snapshot taken in CWR, with the echo on, continues exactly as the original', () => {
    const run = (restore: boolean) => {
      const p = pair(
        { client: { ...LINUXISH, ecn: 'on', sndBuffer: 1 << 20 }, server: { ecn: 'passive' } },
        { link: { delayMs: 10, rateMbps: 8, queuePackets: 8, ecnMark: true } },
      );
      p.sim.listen(p.server);
      p.sim.connect(p.client, SERVER);
      p.run(100);
      p.sim.sendData(p.client, new Uint8Array(60 * MSS));
      p.advance(45);
      // The sender has cut and waits for its CWR to get through; the receiver still echoes.
      expect(p.sim.connection(p.client).congestion.phase).toBe('cwr');
      expect(p.sim.connection(p.accepted()).ecn).toEqual({ ok: true, echo: true, cwrDue: false });
      const snapshot = JSON.parse(JSON.stringify(p.sim.snapshot())) as SimulationSnapshot;
      const sim = restore ? Simulation.restore(snapshot) : p.sim;
      sim.runUntilIdle(60_000);
      return JSON.stringify(sim.drainTrace());
    };
    const original = run(false);
    expect(original).toContain('"flags":"W."');
    expect(run(true)).toBe(original);
  });
});

describe('the link marks instead of dropping (RFC 3168 §5)', () => {
  it.each<[boolean, EcnCodepoint | undefined, string, string | undefined]>([
    [false, 'ect0', 'dropped', 'queue-full'],
    [true, 'ect0', 'marked', 'queue-full'],
    [true, 'ect1', 'marked', 'queue-full'],
    [true, 'ce', 'marked', 'queue-full'],
    [true, undefined, 'dropped', 'queue-full'],
  ])('queue full, ecnMark %s, packet %s -> %s', (ecnMark, codepoint, fate, reason) => {
    const settings = { ...DEFAULT_LINK, rateMbps: 1, queuePackets: 1, ecnMark };
    const state = { departuresUs: [8000, 16000], bad: false };
    const carried = carry(0, 1000, settings, state, Prng.fromSeed(1), codepoint);
    expect([carried.fate, carried.reason]).toEqual([fate, reason]);
    // A marked packet joins the queue and arrives after it; a dropped one never arrives.
    expect(carried.arrivalsUs).toEqual(fate === 'marked' ? [34_000] : []);
  });

  /** `segments` of data over an 8 Mb/s link with a queue of 8 packets and 20 ms of RTT. */
  function transfer(ecnMark: boolean, ecn: EndpointOptions['ecn'], segments = 100): Pair {
    const p = pair(
      {
        client: { ...LINUXISH, ecn, sndBuffer: 1 << 24 },
        server: { ecn: 'passive', rcvBuffer: 1 << 24, delayedAckMs: 0 },
      },
      { link: { delayMs: 10, rateMbps: 8, queuePackets: 8, ecnMark } },
    );
    p.sim.listen(p.server);
    p.sim.connect(p.client, SERVER);
    p.run(100);
    p.sim.sendData(p.client, new Uint8Array(segments * MSS));
    p.run();
    return p;
  }

  /** What the link did to which segments: `dropped 10001:11001(1000)`. */
  const fates = (p: Pair) =>
    p.lines().flatMap((l) => {
      const found = /(\d+:\d+\(\d+\)).*\[(dropped|marked) /.exec(l);
      return found === null ? [] : [`${found[2]} ${found[1]}`];
    });

  it('without marking, the queue drops data and the sender recovers by retransmitting', () => {
    const p = transfer(false, 'on');
    expect(fates(p)).toEqual(['dropped 10001:11001(1000)', 'dropped 28001:29001(1000)']);
    expect(p.sim.status(p.client).counters.retransmissions).toBe(2);
  });

  it('with marking, the same packets arrive CE: echoed, one cut, no loss, no retransmission', () => {
    const p = transfer(true, 'on');
    expect(fates(p)).toEqual(['marked 10001:11001(1000)', 'marked 28001:29001(1000)']);
    expect(p.sim.status(p.client).counters.retransmissions).toBe(0);
    const lines = p.lines();
    // The server echoes from the first marked segment until the CWR segment arrives.
    const echoed = lines.filter((l) => l.startsWith('< E.'));
    expect(echoed[0]).toBe('< E. ack 11001 win 65535');
    expect(echoed.at(-1)).toBe('< E. ack 29001 win 65535');
    expect(lines.filter((l) => l.includes(' W. '))).toEqual([
      '> [ect0] W. 29001:30001(1000) ack 5001 win 65535',
    ]);
    // Two marks in one window of data: one cut (RFC 3168 §6.1.2).
    expect(phases(p.trace, p.client)).toEqual([
      'slow-start -> cwr (ECN-Echo)',
      'cwr -> congestion-avoidance (new ACK)',
    ]);
  });

  it('marks arriving over many round trips cut at most once per round trip', () => {
    const p = transfer(true, 'on', 2000);
    // Nothing but a cut lowers cwnd here (no loss, no idle time): when the client's went down.
    const cuts: number[] = [];
    let cwnd = 0;
    for (const e of p.trace) {
      if (e.kind !== 'metrics' || e.endpointId !== p.client) continue;
      if (e.cwnd < cwnd) cuts.push(e.timeUs);
      cwnd = e.cwnd;
    }
    expect(cuts.length).toBeGreaterThan(3);
    expect(phases(p.trace, p.client).filter((c) => c.endsWith('cwr (ECN-Echo)'))).toHaveLength(
      cuts.length,
    );
    // A round trip is at least 20 ms of propagation plus a packet's serialisation each way.
    const gaps = cuts.slice(1).map((t, i) => t - cuts[i]!);
    expect(Math.min(...gaps)).toBeGreaterThan(20_000);
    expect(p.lines().some((l) => l.includes('[dropped'))).toBe(false);
  });

  it('a connection without ECN sends Not-ECT packets: the queue still drops them', () => {
    const p = transfer(true, 'off');
    expect(fates(p)).toEqual(['dropped 10001:11001(1000)', 'dropped 28001:29001(1000)']);
  });
});

describe('the capture (pcapng)', () => {
  function captured() {
    const p = pair(
      { client: { ...LINUXISH, ecn: 'on', sndBuffer: 1 << 20 }, server: { ecn: 'passive' } },
      { link: { delayMs: 10, rateMbps: 8, queuePackets: 8, ecnMark: true } },
    );
    p.sim.listen(p.server);
    p.sim.connect(p.client, SERVER);
    p.run(100);
    p.sim.sendData(p.client, new Uint8Array(40 * MSS));
    p.run();
    p.lines();
    const segments = p.trace.filter((e): e is SegmentEvent => e.kind === 'segment');
    return { segments, file: toPcapng(segments) };
  }

  /** Each packet's IPv4 header, in order. */
  function ipHeaders(file: Uint8Array): Uint8Array[] {
    const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
    const headers: Uint8Array[] = [];
    for (let at = 0; at < file.length; at += view.getUint32(at + 4, true)) {
      if (view.getUint32(at, true) === 6) headers.push(file.subarray(at + 28, at + 48));
    }
    return headers;
  }

  it('writes the codepoint as sent in the IPv4 TOS byte: ECT(0) 0x02, Not-ECT 0x00', () => {
    const { segments, file } = captured();
    const headers = ipHeaders(file);
    expect(headers).toHaveLength(segments.length);
    const tos = { ect0: 0x02, ect1: 0x01, ce: 0x03 };
    headers.forEach((ip, i) => {
      const segment = segments[i]!;
      expect(ip[1]).toBe(segment.ecn === undefined ? 0 : tos[segment.ecn]);
      expect(internetChecksum(ip)).toBe(0);
    });
    expect(segments.filter((s) => s.ecn === 'ect0').length).toBeGreaterThan(30);
    expect(segments.some((s) => s.fate === 'marked')).toBe(true);
  });

  it('an injected CE segment is CE in the capture, and tshark reads every codepoint', () => {
    const sim = new Simulation({ seed: 1 });
    sim.addEndpoint({ ...SERVER, options: { ecn: 'passive' } });
    for (const ecn of ['ect0', 'ect1', 'ce', undefined] as const) {
      sim.inject(CLIENT, SERVER, {
        seq: 1 as never,
        ack: 0 as never,
        flags: 0x10,
        window: 100,
        urgent: 0,
        options: {},
        payload: new Uint8Array(10),
        ...(ecn === undefined ? {} : { ecn }),
      });
    }
    const segments = sim
      .drainTrace()
      .filter((e): e is SegmentEvent => e.kind === 'segment' && e.src.port === CLIENT.port);
    const dir = mkdtempSync(join(tmpdir(), 'tcplab-ecn-'));
    try {
      const path = join(dir, 'ecn.pcapng');
      writeFileSync(path, toPcapng(segments));
      const tshark = spawnSync('tshark', ['-r', path, '-T', 'fields', '-e', 'ip.dsfield.ecn'], {
        encoding: 'utf8',
      });
      if (tshark.error !== undefined) {
        throw new Error(`tshark could not run (apt-get install tshark): ${tshark.error.message}`);
      }
      expect(tshark.stdout.trimEnd().split('\n')).toEqual(['2', '1', '3', '0']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
