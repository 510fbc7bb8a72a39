// The behaviours of the textbook chapter, end to end between two simulated endpoints over a
// 10 ms link: the exact segments on the wire (with the time they were sent) and the states.
import { describe, expect, it } from 'vitest';
import { seq } from '../src/wire/seq.js';
import { CLIENT, decode, pair, SERVER, text, type Pair } from './harness.js';

/** Segment lines with their send time in ms: `30 > P. 1001:1005(4) ack 5001 win 65535`. */
function timeline(p: Pair): string[] {
  const lines = p.lines();
  return p.trace
    .filter((e) => e.kind === 'segment')
    .map((e, i) => `${e.timeUs / 1000} ${lines[i] ?? ''}`);
}

function appEvents(p: Pair): string[] {
  p.lines();
  return p.trace.flatMap((e) =>
    e.kind === 'app' && e.event !== 'delivered'
      ? [`${e.timeUs / 1000} ${e.endpointId} ${e.event}${e.error ? ` ${e.error}` : ''}`]
      : [],
  );
}

function connected(options: Parameters<typeof pair>[0] = {}): { p: Pair; child: string } {
  const p = pair(options);
  p.sim.listen(p.server);
  p.sim.connect(p.client, SERVER);
  p.run(100);
  return { p, child: p.accepted() };
}

const HANDSHAKE = [
  '0 > S 1000:1000(0) win 65535 <mss 1460>',
  '10 < S. 5000:5000(0) ack 1001 win 65535 <mss 1460>',
  '20 > . ack 5001 win 65535',
];

describe('connection establishment', () => {
  it('three-way handshake: SYN, SYN-ACK, ACK', () => {
    const { p, child } = connected();
    expect(timeline(p)).toEqual(HANDSHAKE);
    expect(p.states(p.client)).toEqual(['CLOSED', 'SYN-SENT', 'ESTABLISHED']);
    expect(p.states(child)).toEqual(['CLOSED', 'SYN-RECEIVED', 'ESTABLISHED']);
    expect(p.sim.endpointInfo(p.server).state).toBe('LISTEN');
  });

  it('simultaneous open: the SYNs cross, both pass through SYN-RECEIVED', () => {
    const p = pair();
    p.sim.connect(p.client, SERVER);
    p.sim.connect(p.server, CLIENT);
    p.run();
    expect(timeline(p)).toEqual([
      '0 > S 1000:1000(0) win 65535 <mss 1460>',
      '0 < S 5000:5000(0) win 65535 <mss 1460>',
      '10 < S. 5000:5000(0) ack 1001 win 65535 <mss 1460>',
      '10 > S. 1000:1000(0) ack 5001 win 65535 <mss 1460>',
    ]);
    for (const id of [p.client, p.server]) {
      expect(p.states(id)).toEqual(['CLOSED', 'SYN-SENT', 'SYN-RECEIVED', 'ESTABLISHED']);
    }
  });

  it('lost SYN, then lost SYN-ACK: each is retransmitted after its RTO', () => {
    const p = pair();
    p.sim.listen(p.server);
    p.sim.addFault({ from: CLIENT, flags: 'S' }, 'drop');
    p.sim.addFault({ from: SERVER, flags: 'S.' }, 'drop');
    p.sim.connect(p.client, SERVER);
    p.run();
    expect(timeline(p)).toEqual([
      '0 > S 1000:1000(0) win 65535 <mss 1460> [dropped fault f1]',
      '1000 > S 1000:1000(0) win 65535 <mss 1460>',
      '1010 < S. 5000:5000(0) ack 1001 win 65535 <mss 1460> [dropped fault f2]',
      '2010 < S. 5000:5000(0) ack 1001 win 65535 <mss 1460>',
      '2020 > . ack 5001 win 65535',
    ]);
    expect(p.sim.endpointInfo(p.client).state).toBe('ESTABLISHED');
  });

  it('SYN retries exhausted: 1, 2, 4, 8 s of backoff, then ETIMEDOUT', () => {
    const p = pair({ client: { synRetries: 3 } });
    p.sim.addFault({ from: CLIENT, flags: 'S', count: 100 }, 'drop');
    p.sim.connect(p.client, SERVER);
    p.run();
    expect(timeline(p)).toEqual(
      [0, 1000, 3000, 7000].map(
        (t) => `${t} > S 1000:1000(0) win 65535 <mss 1460> [dropped fault f1]`,
      ),
    );
    expect(appEvents(p)).toEqual(['15000 e1 error ETIMEDOUT']);
    expect(p.sim.endpointInfo(p.client).state).toBe('CLOSED');
  });

  it('connect to a closed port: RST, ECONNREFUSED', () => {
    const p = pair();
    p.sim.connect(p.client, SERVER);
    p.run();
    expect(timeline(p)).toEqual([
      '0 > S 1000:1000(0) win 65535 <mss 1460>',
      '10 < R. 0:0(0) ack 1001 win 0',
    ]);
    expect(appEvents(p)).toEqual(['20 e1 error ECONNREFUSED']);
  });

  it('an old duplicate SYN after the connection closed is answered, then reset; the listener is unharmed', () => {
    const { p, child } = connected({ client: { mslMs: 1000 } });
    p.sim.close(p.client);
    p.run(100);
    p.sim.close(child);
    p.run();
    const before = timeline(p).length;
    // A copy of the client's first SYN, delayed in the network, arrives after TIME-WAIT.
    p.sim.inject(CLIENT, SERVER, {
      seq: seq(1000),
      ack: seq(0),
      flags: 0x02,
      window: 65535,
      urgent: 0,
      options: { mss: 1460 },
      payload: new Uint8Array(),
    });
    p.run();
    expect(timeline(p).slice(before)).toEqual([
      '2060 > S 1000:1000(0) win 65535 <mss 1460>',
      '2070 < S. 5000:5000(0) ack 1001 win 65535 <mss 1460>',
      '2080 > R 1001:1001(0) win 0',
    ]);
    expect(p.states('e4')).toEqual(['CLOSED', 'SYN-RECEIVED', 'CLOSED']);
    expect(p.sim.endpointInfo(p.server).state).toBe('LISTEN');
  });
});

describe('connection release', () => {
  it('four-way close: FIN, ACK, FIN, ACK, then TIME-WAIT for 2 MSL', () => {
    const { p, child } = connected({ client: { mslMs: 1000 } });
    p.sim.close(p.client);
    p.run(100);
    p.sim.close(child);
    p.run();
    expect(timeline(p).slice(3)).toEqual([
      '30 > F. 1001:1001(0) ack 5001 win 65535',
      '40 < . ack 1002 win 65535',
      '50 < F. 5001:5001(0) ack 1002 win 65535',
      '60 > . ack 5002 win 65535',
    ]);
    expect(p.states(p.client)).toEqual([
      'CLOSED',
      'SYN-SENT',
      'ESTABLISHED',
      'FIN-WAIT-1',
      'FIN-WAIT-2',
      'TIME-WAIT',
      'CLOSED',
    ]);
    expect(p.states(child)).toEqual([
      'CLOSED',
      'SYN-RECEIVED',
      'ESTABLISHED',
      'CLOSE-WAIT',
      'LAST-ACK',
      'CLOSED',
    ]);
    const timeWait = p.trace.find((e) => e.kind === 'state' && e.to === 'TIME-WAIT');
    const closed = p.trace.findLast((e) => e.kind === 'state' && e.endpointId === p.client);
    expect((closed?.timeUs ?? 0) - (timeWait?.timeUs ?? 0)).toBe(2_000_000);
  });

  it('half-close: data keeps flowing from CLOSE-WAIT to FIN-WAIT-2', () => {
    const { p, child } = connected();
    p.sim.shutdown(p.client);
    p.run(15);
    p.sim.sendData(child, text('still talking'));
    p.run(100);
    expect(decode(p.sim.receive(p.client).data)).toBe('still talking');
    expect(p.sim.endpointInfo(p.client).state).toBe('FIN-WAIT-2');
    expect(p.sim.endpointInfo(child).state).toBe('CLOSE-WAIT');
    p.sim.shutdown(child);
    p.run();
    expect(p.sim.receive(p.client).eof).toBe(true);
  });

  it('simultaneous close: the FINs cross, both pass through CLOSING', () => {
    const { p, child } = connected();
    p.sim.shutdown(p.client);
    p.sim.shutdown(child);
    p.run();
    expect(timeline(p).slice(3)).toEqual([
      '30 > F. 1001:1001(0) ack 5001 win 65535',
      '30 < F. 5001:5001(0) ack 1001 win 65535',
      '40 < . ack 1002 win 65535',
      '40 > . ack 5002 win 65535',
    ]);
    for (const id of [p.client, child]) {
      expect(p.states(id).slice(-4)).toEqual(['FIN-WAIT-1', 'CLOSING', 'TIME-WAIT', 'CLOSED']);
    }
  });

  it('lost final ACK: LAST-ACK retransmits its FIN, TIME-WAIT acknowledges it again', () => {
    const { p, child } = connected();
    p.sim.shutdown(p.client);
    p.run(15);
    p.sim.shutdown(child);
    p.sim.addFault({ from: CLIENT, flags: '.' }, 'drop');
    p.run();
    expect(timeline(p).slice(3)).toEqual([
      '30 > F. 1001:1001(0) ack 5001 win 65535',
      '40 < . ack 1002 win 65535',
      '45 < F. 5001:5001(0) ack 1002 win 65535',
      '55 > . ack 5002 win 65535 [dropped fault f1]',
      '1045 < F. 5001:5001(0) ack 1002 win 65535',
      '1055 > . ack 5002 win 65535',
    ]);
    const timers = p.trace.flatMap((e) =>
      e.kind === 'timer' &&
      e.endpointId === p.client &&
      e.timer === 'time-wait' &&
      e.action === 'armed'
        ? [e.timeUs / 1000]
        : [],
    );
    expect(timers).toEqual([55, 1055]); // armed on entering TIME-WAIT, restarted by the FIN
    expect(p.states(child).at(-1)).toBe('CLOSED');
  });

  it('abort: RST, and ECONNRESET at the peer', () => {
    const { p, child } = connected();
    p.sim.abort(p.client);
    p.run();
    expect(timeline(p).slice(3)).toEqual(['30 > R 1001:1001(0) win 0']);
    expect(appEvents(p)).toEqual(['10 e3 accepted', '40 e3 error ECONNRESET']);
    expect(p.sim.endpointInfo(child).state).toBe('CLOSED');
  });
});

describe('reliable delivery', () => {
  it('RTO backoff: a lost segment is retransmitted after 1, 2, 4 and 8 s', () => {
    const { p } = connected();
    p.sim.addFault({ from: CLIENT, flags: 'P.', count: 4 }, 'drop');
    p.sim.sendData(p.client, text('lost'));
    p.run();
    expect(timeline(p).slice(3)).toEqual([
      '30 > P. 1001:1005(4) ack 5001 win 65535 [dropped fault f1]',
      '1030 > P. 1001:1005(4) ack 5001 win 65535 [dropped fault f1]',
      '3030 > P. 1001:1005(4) ack 5001 win 65535 [dropped fault f1]',
      '7030 > P. 1001:1005(4) ack 5001 win 65535 [dropped fault f1]',
      '15030 > P. 1001:1005(4) ack 5001 win 65535',
      '15080 < . ack 1005 win 65531',
    ]);
  });

  it('sequence numbers wrap past 2^32 during a transfer, and every byte arrives in order', () => {
    const { p, child } = connected({ client: { isn: 0xffff_ffff - 3000 } });
    const data = new Uint8Array(6000).map((_, i) => i % 251);
    p.sim.sendData(p.client, data);
    p.run();
    expect(timeline(p).slice(3, 6)).toEqual([
      '30 > . 4294964296:4294965756(1460) ack 5001 win 65535',
      '30 > . 4294965756:4294967216(1460) ack 5001 win 65535',
      '30 > . 4294967216:1380(1460) ack 5001 win 65535',
    ]);
    expect(p.sim.receive(child).data).toEqual(data);
  });
});

describe('flow control and ACK strategy', () => {
  it('zero window: the sender probes with backoff and resumes when the reader makes room', () => {
    const { p, child } = connected({
      server: { rcvBuffer: 2000, mss: 1000 },
      client: { mss: 1000 },
    });
    p.sim.sendData(p.client, new Uint8Array(3000));
    p.run(8000);
    expect(timeline(p).slice(3)).toEqual([
      '30 > . 1001:2001(1000) ack 5001 win 65535',
      '30 > . 2001:3001(1000) ack 5001 win 65535',
      '40 < . ack 3001 win 0',
      '1050 > . ack 5001 win 65535',
      '1060 < . ack 3001 win 0',
      '3050 > . ack 5001 win 65535',
      '3060 < . ack 3001 win 0',
      '7050 > . ack 5001 win 65535',
      '7060 < . ack 3001 win 0',
    ]);
    // Each probe carries SND.UNA - 1, an octet the peer already has (as Linux does).
    const probeSeqs = p.trace.flatMap((e) =>
      e.kind === 'segment' && e.src.port === CLIENT.port && e.timeUs >= 1_000_000 ? [e.seq] : [],
    );
    expect(probeSeqs).toEqual([3000, 3000, 3000]);
    expect(p.sim.receive(child).data.length).toBe(2000);
    p.run();
    expect(timeline(p).slice(12, 14)).toEqual([
      '8030 < . ack 3001 win 2000',
      '8040 > P. 3001:4001(1000) ack 5001 win 65535',
    ]);
  });

  it('a read sends a window update only once the window the peer knows has halved', () => {
    const { p, child } = connected({
      server: { rcvBuffer: 8000, mss: 1000 },
      client: { mss: 1000, nagle: false },
    });
    p.sim.sendData(p.client, new Uint8Array(3000));
    p.run();
    const before = timeline(p).length;
    // 5000 of 8000 still open: reading the 3000 bytes sends nothing of its own.
    expect(p.sim.receive(child).data.length).toBe(3000);
    p.run();
    expect(timeline(p).length).toBe(before);
    p.sim.sendData(p.client, new Uint8Array(5000));
    p.run();
    // Now 3000 are open, less than half of 8000: the read that frees 5000 more is announced.
    expect(timeline(p).at(-1)).toMatch(/^\d+ < \. ack 9001 win 3000$/);
    expect(p.sim.receive(child).data.length).toBe(5000);
    p.run();
    expect(timeline(p).at(-1)).toMatch(/^\d+ < \. ack 9001 win 8000$/);
  });

  it('delayed ACK: one small segment is acknowledged after 40 ms, every second full segment at once', () => {
    const { p } = connected();
    p.sim.sendData(p.client, text('a'));
    p.run();
    p.sim.sendData(p.client, new Uint8Array(2920));
    p.run();
    expect(timeline(p).slice(3)).toEqual([
      '30 > P. 1001:1002(1) ack 5001 win 65535',
      '80 < . ack 1002 win 65534',
      '90 > . 1002:2462(1460) ack 5001 win 65535',
      '90 > P. 2462:3922(1460) ack 5001 win 65535',
      '100 < . ack 3922 win 62614',
    ]);
  });

  it('delayed ACK: a read that empties the receive buffer sends the waiting ACK at once', () => {
    const { p, child } = connected();
    p.sim.sendData(p.client, text('a'));
    p.advance(15); // arrived at 40 ms; its ACK waits for the timer (80 ms)
    expect(decode(p.sim.receive(child).data)).toBe('a');
    p.run();
    expect(timeline(p).slice(3)).toEqual([
      '30 > P. 1001:1002(1) ack 5001 win 65535',
      '45 < . ack 1002 win 65534', // one octet more is too little to advertise (receiver SWS)
    ]);
  });

  it('Nagle: small writes wait for the ACK of what is in flight, then go as one segment', () => {
    const { p } = connected();
    for (let i = 0; i < 5; i++) {
      p.sim.sendData(p.client, text('k'));
      p.advance(2);
    }
    p.run();
    expect(timeline(p).slice(3)).toEqual([
      '30 > P. 1001:1002(1) ack 5001 win 65535',
      '80 < . ack 1002 win 65534',
      '90 > P. 1002:1006(4) ack 5001 win 65535',
      '140 < . ack 1006 win 65530',
    ]);
  });

  it('without Nagle every small write goes out at once', () => {
    const { p } = connected({ client: { nagle: false } });
    for (let i = 0; i < 3; i++) {
      p.sim.sendData(p.client, text('k'));
      p.advance(2);
    }
    expect(timeline(p).slice(3, 6)).toEqual([
      '30 > P. 1001:1002(1) ack 5001 win 65535',
      '32 > P. 1002:1003(1) ack 5001 win 65535',
      '34 > P. 1003:1004(1) ack 5001 win 65535',
    ]);
  });

  it('keep-alive finds a dead peer: probes at the interval, then ETIMEDOUT', () => {
    const { p } = connected({
      client: { keepalive: { idleMs: 1000, intervalMs: 500, probes: 3 } },
    });
    p.sim.addFault({ from: SERVER, count: 100 }, 'drop');
    p.run();
    expect(timeline(p).slice(3)).toEqual([
      '1020 > . ack 5001 win 65535',
      '1030 < . ack 1001 win 65535 [dropped fault f1]',
      '1520 > . ack 5001 win 65535',
      '1530 < . ack 1001 win 65535 [dropped fault f1]',
      '2020 > . ack 5001 win 65535',
      '2030 < . ack 1001 win 65535 [dropped fault f1]',
    ]);
    expect(appEvents(p)).toEqual(['10 e3 accepted', '2520 e1 error ETIMEDOUT']);
  });
});

describe('metrics', () => {
  it('report srtt after the handshake and cwnd growing by one SMSS per ACK in slow start', () => {
    const { p } = connected({ server: { delayedAckMs: 0 } });
    p.sim.sendData(p.client, new Uint8Array(1460 * 8));
    p.run();
    const metrics = p.trace.flatMap((e) =>
      e.kind === 'metrics' && e.endpointId === p.client ? [e] : [],
    );
    const afterHandshake = metrics.find((m) => m.srttUs !== undefined);
    expect(afterHandshake).toMatchObject({ srttUs: 20_000, rttvarUs: 10_000, rtoUs: 1_000_000 });
    const cwnds = [...new Set(metrics.map((m) => m.cwnd))];
    expect(cwnds).toEqual([4380, 5840, 7300, 8760, 10220, 11680, 13140, 14600, 16060]);
    // Reported on change only: no two consecutive reports are equal.
    const keys = metrics.map((m) => JSON.stringify({ ...m, eventId: 0, timeUs: 0 }));
    expect(keys.every((k, i) => i === 0 || k !== keys[i - 1])).toBe(true);
  });
});

describe('STATUS (RFC 9293 §3.10.6)', () => {
  it('reports the state, the TCB, the timers and what the buffers hold', () => {
    const { p, child } = connected({ client: { nagle: false } });
    p.sim.addFault({ from: CLIENT, flags: 'P.' }, 'drop');
    p.sim.sendData(p.client, text('hello'));
    const status = p.sim.status(p.client);
    expect(status).toMatchObject({
      state: 'ESTABLISHED',
      local: CLIENT,
      remote: SERVER,
      tcb: {
        iss: 1000,
        irs: 5000,
        sndUna: 1001,
        sndNxt: 1006,
        sndWnd: 65535,
        rcvNxt: 5001,
        mss: 1460,
      },
      timers: [{ kind: 'retransmit', expiresUs: 1_030_000 }],
      buffered: { send: 5, unsent: 0, received: 0, outOfOrder: 0 },
    });
    expect(p.sim.status(child).tcb).toMatchObject({ iss: 5000, irs: 1000, rcvNxt: 1001 });
  });
});
