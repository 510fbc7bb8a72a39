// cwnd and ssthresh against the formulas of RFC 5681 and RFC 6582, in controlled runs: a 20 ms
// RTT, every segment acknowledged (no delayed ACK), losses placed with fault rules.
import { describe, expect, it } from 'vitest';
import type { CongestionAlgorithm } from '../src/tcp/congestion/index.js';
import type { TraceEvent } from '../src/trace/events.js';
import { CLIENT, pair, SERVER, type Pair } from './harness.js';

const SMSS = 1460;

function bulk(
  congestion: CongestionAlgorithm,
  segments: number,
  drops: number[] = [],
  { sack = false } = {},
): Pair {
  const p = pair({
    client: { nagle: false, congestion, sndBuffer: 1 << 20, sack },
    // A receive buffer far larger than the 64 KB window field: the window stays fully open.
    server: { delayedAckMs: 0, rcvBuffer: 1 << 22, sack },
  });
  p.sim.listen(p.server);
  p.sim.connect(p.client, SERVER);
  p.run(100);
  // The client's handshake ACK is its first '.' segment: data segment n is the (n+1)th.
  for (const n of drops) p.sim.addFault({ from: CLIENT, flags: '.', nth: n + 1 }, 'drop');
  p.sim.sendData(p.client, new Uint8Array(SMSS * segments));
  return p;
}

type Metrics = Extract<TraceEvent, { kind: 'metrics' }>;

function metrics(p: Pair): Metrics[] {
  p.lines();
  return p.trace.filter((e): e is Metrics => e.kind === 'metrics' && e.endpointId === p.client);
}

function phases(p: Pair): string[] {
  p.lines();
  return p.trace.flatMap((e) =>
    e.kind === 'congestion' && e.endpointId === p.client
      ? [`${e.timeUs / 1000} ${e.from} -> ${e.to}`]
      : [],
  );
}

/** Data segments sent by the client, counted per send time (ms). */
function flights(p: Pair): Record<number, number> {
  p.lines();
  const counts: Record<number, number> = {};
  for (const e of p.trace) {
    if (e.kind === 'segment' && e.src.port === CLIENT.port && e.len > 0) {
      counts[e.timeUs / 1000] = (counts[e.timeUs / 1000] ?? 0) + 1;
    }
  }
  return counts;
}

/** Retransmissions: data segments whose sequence number was sent before. */
function retransmissions(p: Pair): string[] {
  p.lines();
  const seen = new Set<number>();
  const out: string[] = [];
  for (const e of p.trace) {
    if (e.kind !== 'segment' || e.src.port !== CLIENT.port || e.len === 0) continue;
    if (seen.has(e.seq)) out.push(`${e.timeUs / 1000} ${(e.seq - 1001) / SMSS}`);
    seen.add(e.seq);
  }
  return out;
}

describe('slow start (RFC 5681 §3.1)', () => {
  it('doubles cwnd every RTT without delayed ACK: 3, 6, 12, 24 segments per flight', () => {
    const p = bulk('newreno', 60);
    p.advance(75);
    expect(flights(p)).toEqual({ 30: 3, 50: 6, 70: 12, 90: 24 });
    expect(
      metrics(p)
        .map((m) => m.cwnd / SMSS)
        .filter((c, i, a) => a.indexOf(c) === i),
    ).toEqual(Array.from({ length: 22 }, (_, i) => i + 3));
  });
});

describe('fast retransmit and fast recovery', () => {
  it('NewReno: the third duplicate ACK halves, inflates, and a partial ACK repairs the next hole', () => {
    const p = bulk('newreno', 30, [10, 14]);
    p.run();
    expect(retransmissions(p)).toEqual(['90 10', '110 14']);
    const m = metrics(p);
    const atRetransmit = m.find(
      (e) => e.timeUs === 90_000 && e.cwnd < e.flightSize + SMSS * 10 && e.ssthresh < 1e9,
    );
    // FlightSize was 15 segments: ssthresh = max(FlightSize / 2, 2 * SMSS), cwnd = ssthresh + 3 * SMSS.
    expect(atRetransmit).toMatchObject({
      ssthresh: 7.5 * SMSS,
      cwnd: 10.5 * SMSS,
      flightSize: 15 * SMSS,
    });
    // Each further duplicate ACK inflates cwnd by one SMSS.
    const inflation = m
      .filter((e) => e.timeUs === 90_000 && e.ssthresh === 7.5 * SMSS)
      .map((e) => e.cwnd / SMSS);
    expect(inflation).toEqual([10.5, 11.5, 12.5, 13.5, 14.5, 15.5, 16.5]);
    // The partial ACK (4 segments acknowledged) deflates by 4 and adds back one: 20.5 - 4 + 1.
    expect(
      m.find((e) => e.timeUs === 110_000 && e.cwnd === 17.5 * SMSS && e.flightSize === 16 * SMSS),
    ).toBeDefined();
    // Only the full ACK ends recovery, with cwnd = ssthresh.
    expect(phases(p)).toEqual([
      '90 slow-start -> fast-recovery',
      '130 fast-recovery -> congestion-avoidance',
    ]);
    expect(m.find((e) => e.timeUs === 130_000 && e.flightSize === 0)).toMatchObject({
      cwnd: 7.5 * SMSS,
    });
  });

  it('Reno: the first new ACK ends recovery, so the second loss needs a second halving', () => {
    const p = bulk('reno', 30, [10, 14]);
    p.run();
    expect(retransmissions(p)).toEqual(['90 10', '130 14']);
    expect(phases(p)).toEqual([
      '90 slow-start -> fast-recovery',
      '110 fast-recovery -> congestion-avoidance',
      '130 congestion-avoidance -> fast-recovery',
      '150 fast-recovery -> congestion-avoidance',
    ]);
    // Each recovery sets ssthresh from the FlightSize of its own moment.
    const ssthresholds = [...new Set(metrics(p).map((e) => e.ssthresh))].filter((s) => s < 1e9);
    expect(ssthresholds).toHaveLength(2);
    expect(ssthresholds[0]).toBe(7.5 * SMSS);
  });

  it('Tahoe: the third duplicate ACK drops cwnd to one segment and goes back in slow start', () => {
    const p = bulk('tahoe', 30, [10, 14]);
    p.run();
    expect(retransmissions(p).slice(0, 2)).toEqual(['90 10', '110 14']);
    expect(phases(p)).toEqual([
      '90 slow-start -> loss-recovery',
      '130 loss-recovery -> slow-start',
      '170 slow-start -> congestion-avoidance',
    ]);
    expect(metrics(p).find((e) => e.timeUs === 90_000 && e.ssthresh < 1e9)).toMatchObject({
      cwnd: SMSS,
      ssthresh: 7.5 * SMSS,
    });
  });

  it('Limited Transmit (RFC 3042): the first two duplicate ACKs each release a new segment', () => {
    const p = bulk('newreno', 30, [10]);
    p.advance(90);
    p.lines();
    const sentAt90 = p.trace.flatMap((e) =>
      e.kind === 'segment' && e.src.port === CLIENT.port && e.timeUs === 90_000
        ? [(e.seq - 1001) / SMSS]
        : [],
    );
    // Two from the new ACK (slow start), then one per duplicate ACK, then the retransmission of 10.
    expect(sentAt90.slice(0, 5)).toEqual([21, 22, 23, 24, 10]);
  });
});

describe('congestion avoidance (RFC 5681 §3.1)', () => {
  it('adds one SMSS per RTT (per cwnd of data acknowledged)', () => {
    const p = bulk('newreno', 400, [10]);
    p.run();
    const m = metrics(p);
    const start = m.findIndex(
      (e) => e.timeUs >= 110_000 && e.ssthresh < 1e9 && e.cwnd === e.ssthresh,
    );
    const cwnds = [...new Set(m.slice(start).map((e) => e.cwnd))];
    expect(cwnds.slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5].map((k) => cwnds[0]! + k * SMSS));
    const increments = m.slice(start).filter((e, i, all) => i > 0 && e.cwnd > all[i - 1]!.cwnd);
    const gaps = increments.slice(1, 5).map((e, i) => (e.timeUs - increments[i]!.timeUs) / 1000);
    expect(gaps.every((g) => g >= 20)).toBe(true); // one step per round trip, never faster
  });
});

describe('retransmission timeout (RFC 5681 §3.1, RFC 6298)', () => {
  it('cwnd = 1 SMSS, ssthresh = FlightSize / 2; a repeated timeout keeps ssthresh', () => {
    const p = bulk('newreno', 6);
    // The last segment (the only one with PSH), lost twice: no duplicate ACKs can follow it.
    p.sim.addFault({ from: CLIENT, flags: 'P.', count: 2 }, 'drop');
    p.run();
    expect(retransmissions(p)).toEqual(['1070 5', '3070 5']);
    const afterRto = metrics(p).filter((e) => e.timeUs >= 1_000_000);
    expect(afterRto[0]).toMatchObject({ cwnd: SMSS, ssthresh: 2 * SMSS }); // FlightSize 1 segment: 2*SMSS floor
    expect(
      afterRto.filter((e) => e.timeUs === 3_070_000).every((e) => e.ssthresh === 2 * SMSS),
    ).toBe(true);
    expect(phases(p).slice(0, 2)).toEqual([
      '1070 slow-start -> loss-recovery',
      // The ACK of the retransmission makes cwnd 2 SMSS = ssthresh: congestion avoidance.
      '3090 loss-recovery -> congestion-avoidance',
    ]);
  });
});

/** Bytes the server's application was handed, in order. */
function delivered(p: Pair): number {
  p.lines();
  return p.trace.reduce(
    (sum, e) =>
      e.kind === 'app' && e.event === 'delivered' && e.endpointId !== p.client
        ? sum + (e.bytes ?? 0)
        : sum,
    0,
  );
}

describe('SACK loss recovery (RFC 6675)', () => {
  it('repairs three losses in one window in one RTT, where NewReno needs an RTT per loss', () => {
    const drops = [10, 12, 14];
    const withSack = bulk('newreno', 40, drops, { sack: true });
    withSack.run();
    const withoutSack = bulk('newreno', 40, drops);
    withoutSack.run();

    // The same seed and the same losses. SACK names every hole at once; without it each partial
    // ACK reveals only the next one.
    expect(retransmissions(withSack)).toEqual(['90 10', '90 12', '90 14']);
    expect(phases(withSack)).toEqual([
      '90 slow-start -> fast-recovery',
      '110 fast-recovery -> congestion-avoidance',
    ]);
    expect(retransmissions(withoutSack)).toEqual(['90 10', '110 12', '130 14']);
    expect(phases(withoutSack)).toEqual([
      '90 slow-start -> fast-recovery',
      '150 fast-recovery -> congestion-avoidance',
    ]);
    expect(delivered(withSack)).toBe(40 * SMSS);
    expect(delivered(withoutSack)).toBe(40 * SMSS);
  });

  it('keeps cwnd at ssthresh (no inflation) and sends only while cwnd - pipe >= 1 SMSS', () => {
    const p = bulk('newreno', 40, [10, 12, 14, 16], { sack: true });
    p.run();
    const inRecovery = metrics(p).filter(
      (e) => e.timeUs >= 90_000 && e.timeUs < 130_000 && e.ssthresh < 1e9,
    );
    // FlightSize was 15 segments: ssthresh = cwnd = 7.5 segments for the whole recovery.
    expect(new Set(inRecovery.map((e) => e.cwnd / SMSS))).toEqual(new Set([7.5]));
    // By the time the fourth hole counts as lost, the pipe (7 segments: 21-24 in flight and the
    // three retransmissions) leaves less than one SMSS, so it waits for the next ACKs.
    expect(retransmissions(p)).toEqual(['90 10', '90 12', '90 14', '110 16']);
    expect(phases(p)).toEqual([
      '90 slow-start -> fast-recovery',
      '130 fast-recovery -> congestion-avoidance',
    ]);
    expect(delivered(p)).toBe(40 * SMSS);
  });
});
