// The trace model the views draw from, fed real traces: the engine's lessons in this process.
import { describe, expect, it } from 'vitest';
import { lessonTrace } from './lessons';

const lines = (trace: Awaited<ReturnType<typeof lessonTrace>>) =>
  trace.segments.map((s) => `${s.sentMs} ${s.from} > ${s.to}: ${s.label}${s.fate && ` ${s.fate}`}`);

describe('the ladder labels', () => {
  it('writes the handshake as tcpdump does, sequence numbers relative to each ISN', async () => {
    const trace = await lessonTrace('handshake');
    expect(trace.columns).toEqual(['server', 'client']);
    expect(lines(trace)).toEqual([
      '0 client > server: S 0:0(0) win 65535 <mss 1460>',
      '10 server > client: S. 0:0(0) ack 1 win 65535 <mss 1460>',
      '20 client > server: . ack 1 win 65535',
    ]);
    // The connection the listener accepted (e3) is drawn on the server's line.
    expect(trace.columnOf.get('e3')).toBe('server');
    // The details show both numbers: the header's, and the label's relative one.
    const synAck = trace.segments[1];
    expect([synAck?.relativeSeq, synAck?.relativeAck]).toEqual([0, 1]);
    expect(synAck?.event.ack).toBe(((trace.segments[0]?.event.seq ?? 0) + 1) >>> 0);
    expect(synAck?.event.seq).not.toBe(0);
  });

  it('writes data as first:last(length), and P. when it is pushed', async () => {
    const trace = await lessonTrace('nagle');
    expect(lines(trace).slice(6, 9)).toEqual([
      '30 typist > server: P. 1:2(1) ack 1 win 65535',
      '30 nodelay > server: P. 1:2(1) ack 1 win 65535',
      '35 nodelay > server: P. 2:3(1) ack 1 win 65535',
    ]);
    // Nagle holds the typist's next bytes until its first is acknowledged, then sends both.
    expect(lines(trace)).toContain('90 typist > server: P. 2:4(2) ack 1 win 65535');
  });

  it('ends a lost segment with its reason and marks what was sent again, and why', async () => {
    const trace = await lessonTrace('lost-final-ack');
    expect(lines(trace).slice(6)).toEqual([
      '60 client > server: . ack 2 win 65535 [dropped, fault f1]',
      '1050 server > client: F. 1:1(0) ack 2 win 65535 (retransmission)',
      '1060 client > server: . ack 2 win 65535 (duplicate-ack)',
    ]);
    const lost = trace.segments[6];
    expect([lost?.lost, lost?.arrivesMs]).toEqual([true, undefined]);
    expect(trace.segments[7]?.arrivesMs).toBe(1060);
  });
});

describe('the state of each endpoint at a time', () => {
  it('tells the client SYN-SENT until the SYN-ACK arrives, and its timer until then', async () => {
    const trace = await lessonTrace('handshake');
    expect(trace.stateAt('e2', -1)).toBeUndefined();
    expect(trace.stateAt('e2', 19)?.to).toBe('SYN-SENT');
    expect(trace.stateAt('e2', 20)).toMatchObject({
      from: 'SYN-SENT',
      to: 'ESTABLISHED',
      cause: 'rcv SYN,ACK',
    });
    // RFC 6298's initial RTO: the SYN's timer would fire at 1 s; the SYN-ACK cancels it.
    expect(trace.timersAt('e2', 10)).toEqual([{ timer: 'retransmit', expiresMs: 1000 }]);
    expect(trace.timersAt('e2', 20)).toEqual([]);
    expect(trace.endMs).toBe(30);
  });

  it('keeps the time-sequence points of each sender: its segments, and ACKs as they arrive', async () => {
    const trace = await lessonTrace('lost-final-ack');
    expect(trace.sequence.get('server')).toEqual([
      { timeMs: 10, kind: 'data', value: 0 }, // SYN-ACK
      { timeMs: 30, kind: 'ack', value: 1 }, // the client's ACK of it, arriving (sent at 20)
      { timeMs: 40, kind: 'ack', value: 1 }, // the client's FIN carries the same ACK
      { timeMs: 50, kind: 'data', value: 1 }, // the server's FIN
      // The client's ACK of that FIN is lost: no point. The FIN again, a second later:
      { timeMs: 1050, kind: 'retransmission', value: 1 },
      { timeMs: 1070, kind: 'ack', value: 2 },
    ]);
  });

  it('skips events it already holds, so a replay after a reconnect adds nothing twice', async () => {
    const trace = await lessonTrace('handshake');
    const before = [trace.events.length, trace.segments.length, trace.version];
    trace.ingest(trace.events.slice(-5));
    expect([trace.events.length, trace.segments.length]).toEqual(before.slice(0, 2));
  });
});
