// Fault rules (what a lesson does on purpose) and the clock controls of the Simulation.
import { describe, expect, it } from 'vitest';
import { CLIENT, decode, pair, SERVER, text, type Pair } from './harness.js';

function connected(): Pair {
  const p = pair({ client: { nagle: false }, server: { delayedAckMs: 0 } });
  p.sim.listen(p.server);
  p.sim.connect(p.client, SERVER);
  p.run(100);
  return p;
}

function dataFates(p: Pair): string[] {
  p.lines();
  return p.trace.flatMap((e) =>
    e.kind === 'segment' && e.len > 0
      ? [`${e.seq - 1000} ${e.fate}${e.reason ? ` ${e.reason}` : ''}`]
      : [],
  );
}

describe('fault rules', () => {
  it('nth and count: the 2nd and 3rd matching segments are dropped, no others', () => {
    const p = connected();
    p.sim.addFault({ from: CLIENT, flags: 'P.', nth: 2, count: 2 }, 'drop');
    for (let i = 0; i < 4; i++) {
      p.sim.sendData(p.client, text('x'));
      p.advance(100);
    }
    p.run();
    expect(dataFates(p).slice(0, 4)).toEqual([
      '1 delivered',
      '2 dropped fault f1',
      '3 dropped fault f1',
      '4 delivered',
    ]);
  });

  it('delay holds a segment back by delayMs', () => {
    const p = connected();
    p.sim.addFault({ from: CLIENT, flags: 'P.' }, 'delay', 250);
    p.sim.sendData(p.client, text('late'));
    p.run();
    const data = p.trace.find((e) => e.kind === 'segment' && e.len > 0);
    expect(
      data?.kind === 'segment' && [data.reason, ((data.arrivesUs ?? 0) - data.timeUs) / 1000],
    ).toEqual(['fault f1', 260]);
  });

  it('duplicate delivers the segment twice; the receiver acknowledges the copy', () => {
    const p = connected();
    p.sim.addFault({ from: CLIENT, flags: 'P.' }, 'duplicate');
    p.sim.sendData(p.client, text('twice'));
    p.run();
    expect(dataFates(p)).toEqual(['1 duplicated fault f1']);
    const acks = p.lines().filter((l) => l.startsWith('< . ack 1006'));
    expect(acks).toHaveLength(2);
    expect(p.sim.receive(p.accepted()).data).toEqual(text('twice'));
  });

  it('corrupt fails the checksum: the segment is lost and retransmitted', () => {
    const p = connected();
    p.sim.addFault({ from: CLIENT, flags: 'P.' }, 'corrupt');
    p.sim.sendData(p.client, text('bits'));
    p.run();
    expect(dataFates(p)).toEqual(['1 corrupted fault f1', '1 delivered']);
  });

  it('lists the rules with the segments each has seen and affected', () => {
    const p = connected();
    p.sim.addFault({ from: CLIENT, flags: 'P.', count: 1 }, 'drop');
    p.sim.sendData(p.client, text('once'));
    p.run();
    expect(p.sim.faultRules()).toEqual([
      {
        id: 'f1',
        match: { from: CLIENT, flags: 'P.', count: 1 },
        action: 'drop',
        seen: 2,
        applied: 1,
      },
    ]);
  });

  it('a removed rule stops applying', () => {
    const p = connected();
    const id = p.sim.addFault({ from: CLIENT, flags: 'P.', count: 10 }, 'drop');
    expect(p.sim.removeFault(id)).toBe(true);
    p.sim.sendData(p.client, text('free'));
    p.run();
    expect(dataFates(p)).toEqual(['1 delivered']);
  });
});

describe('the clock', () => {
  it('step runs one event at a time and moves the clock to it', () => {
    const p = pair();
    p.sim.listen(p.server);
    p.sim.connect(p.client, SERVER);
    expect(p.sim.nextEventTime()).toBe(10_000); // the SYN arrives after 10 ms
    expect(p.sim.step()).toBe(true);
    expect(p.sim.nowUs).toBe(10_000);
    expect(p.sim.endpointIds()).toHaveLength(3); // the listener made an endpoint
  });

  it('advance runs everything up to the new time and stops there', () => {
    const p = pair();
    p.sim.listen(p.server);
    p.sim.connect(p.client, SERVER);
    p.sim.advance(15);
    expect(p.sim.nowUs).toBe(15_000);
    expect(p.sim.endpointInfo(p.client).state).toBe('SYN-SENT');
    p.sim.advance(10);
    expect(p.sim.endpointInfo(p.client).state).toBe('ESTABLISHED');
  });

  it('runUntilIdle stops at its bound when events remain, and says so', () => {
    const p = pair({ client: { keepalive: { idleMs: 1000, intervalMs: 1000, probes: 100 } } });
    p.sim.listen(p.server);
    p.sim.connect(p.client, SERVER);
    expect(p.sim.runUntilIdle(5000)).toBe(false);
    expect(p.sim.nowUs).toBe(5_000_000);
    expect(p.sim.nextEventTime()).toBeGreaterThan(5_000_000);
  });

  it('runUntilIdle returns true once nothing is pending, the clock at the last event', () => {
    const p = pair();
    p.sim.listen(p.server);
    p.sim.connect(p.client, SERVER);
    expect(p.sim.runUntilIdle(60_000)).toBe(true);
    expect(p.sim.nowUs).toBe(30_000); // the handshake's last ACK arrived at 30 ms
    expect(p.sim.nextEventTime()).toBeUndefined();
    expect(p.sim.step()).toBe(false);
  });

  it('numbers trace events 1, 2, 3, ... without gaps', () => {
    const p = connected();
    p.lines();
    expect(p.trace.map((e) => e.eventId)).toEqual(p.trace.map((_, i) => i + 1));
  });
});

describe('counters', () => {
  it('count segments, retransmissions, duplicate ACKs and bytes, as a lab asks for them', () => {
    const p = connected();
    p.sim.addFault({ from: CLIENT, flags: 'P.' }, 'drop');
    p.sim.sendData(p.client, text('hello'));
    p.run();
    const server = p.accepted();
    expect(decode(p.sim.receive(server).data)).toBe('hello');
    const lines = p.lines();
    const sent = (prefix: string) => lines.filter((l) => l.startsWith(prefix)).length;
    expect(p.sim.status(p.client).counters).toEqual({
      segmentsSent: sent('>'),
      segmentsReceived: sent('<'),
      retransmissions: 1, // the dropped P. again, after the RTO
      duplicateAcks: 0,
      bytesSent: 5,
      bytesDelivered: 0,
      bytesRead: 0,
    });
    expect(p.sim.status(server).counters).toMatchObject({
      segmentsSent: sent('<'),
      retransmissions: 0,
      bytesDelivered: 5,
      bytesRead: 5,
    });
  });
});
