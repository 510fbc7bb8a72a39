// TCP against the physics of its path: link utilisation at a bottleneck, bufferbloat and tail
// drops, the receiver's window as a cap, and restart after idle.
import { describe, expect, it } from 'vitest';
import { bulk as bulkTransfer } from '../bench/bulk.js';
import type { LinkSettings } from '../src/net/link.js';
import { Simulation } from '../src/sim/simulation.js';
import type { EndpointOptions } from '../src/tcp/options.js';
import type { TraceEvent } from '../src/trace/events.js';

interface BulkResult {
  seconds: number;
  goodputMbps: number;
  /** Goodput after the first second (slow start and its losses left out). */
  steadyMbps: number;
  trace: TraceEvent[];
  sim: Simulation;
}

/** One bulk transfer from client to server; the server application reads every 1 ms. */
function bulk(
  bytes: number,
  link: Partial<LinkSettings>,
  options: Partial<EndpointOptions> = {},
): BulkResult {
  const sim = new Simulation({ seed: 3, link });
  const common = { sndBuffer: 1 << 22, rcvBuffer: 1 << 22, nagle: false, ...options };
  const client = sim.addEndpoint({ address: '10.0.0.1', port: 40000, options: common });
  const server = sim.addEndpoint({ address: '10.0.0.2', port: 80, options: common });
  sim.listen(server);
  sim.connect(client, { address: '10.0.0.2', port: 80 });
  sim.runUntilIdle(5000);
  const child = sim.endpointIds().find((id) => sim.endpointInfo(id).parentId === server) ?? '';
  const trace: TraceEvent[] = [...sim.drainTrace()];
  const start = sim.nowUs;
  let sent = 0;
  let received = 0;
  let receivedAtOneSecond = 0;
  while (received < bytes && sim.nowUs - start < 600_000_000) {
    if (sent < bytes) sent += sim.sendData(client, new Uint8Array(Math.min(bytes - sent, 1 << 20)));
    sim.advance(1);
    received += sim.receive(child).data.length;
    if (sim.nowUs - start <= 1_000_000) receivedAtOneSecond = received;
    trace.push(...sim.drainTrace());
  }
  const seconds = (sim.nowUs - start) / 1e6;
  return {
    seconds,
    goodputMbps: (received * 8) / seconds / 1e6,
    steadyMbps: ((received - receivedAtOneSecond) * 8) / (seconds - 1) / 1e6,
    trace,
    sim,
  };
}

describe('a bottleneck link', () => {
  it('with a BDP-sized queue, a long-lived NewReno flow keeps it at least 90 % busy', () => {
    // 10 Mb/s, 10 ms each way: BDP = 10 Mb/s * 20 ms = 25 KB, about 17 packets of 1500 B.
    const r = bulk(8 << 20, { rateMbps: 10, delayMs: 10, queuePackets: 17 });
    // Goodput carries 1460 of every 1500 bytes on the wire.
    expect(r.steadyMbps).toBeGreaterThanOrEqual(0.9 * 10 * (1460 / 1500));
    expect(r.trace.some((e) => e.kind === 'segment' && e.reason === 'queue-full')).toBe(true);
  }, 60_000);

  it('bufferbloat: with a deep queue, queueing delay grows with cwnd to hundreds of ms', () => {
    const r = bulk(2 << 20, { rateMbps: 10, delayMs: 10, queuePackets: 1000 });
    const delays = r.trace.flatMap((e) =>
      e.kind === 'link' && e.from === '10.0.0.1' ? [e.queueDelayUs] : [],
    );
    expect(Math.max(...delays)).toBeGreaterThan(100_000); // 100 ms of queue on a 20 ms path
    const occupancy = r.trace.flatMap((e) =>
      e.kind === 'link' && e.from === '10.0.0.1' ? [e.queuePackets] : [],
    );
    expect(Math.max(...occupancy)).toBeGreaterThan(50);
  });
});

describe('flow control', () => {
  it('a small receive buffer caps throughput at rcvBuffer / RTT', () => {
    const rcvBuffer = 16_384;
    // 50 ms each way: 100 ms RTT, no rate limit: only the receiver's window limits the sender.
    const r = bulk(1 << 20, { delayMs: 50 }, { rcvBuffer, delayedAckMs: 0 });
    const capMbps = (rcvBuffer * 8) / 0.1 / 1e6;
    expect(r.goodputMbps).toBeLessThanOrEqual(capMbps * 1.02);
    expect(r.goodputMbps).toBeGreaterThanOrEqual(capMbps * 0.8);
  });
});

describe('restart after idle (RFC 5681 §4.1)', () => {
  it('after more than an RTO without sending, cwnd restarts from the initial window', () => {
    const r = bulk(200_000, { delayMs: 10 });
    const client = r.sim.endpointIds()[0] ?? '';
    expect(r.sim.status(client).metrics.cwnd).toBeGreaterThan(10 * 1460);
    r.sim.advance(5000);
    r.sim.sendData(client, new Uint8Array(100_000));
    const events = r.sim.drainTrace();
    const metrics = events.filter((e) => e.kind === 'metrics' && e.endpointId === client);
    expect(metrics.at(-1)).toMatchObject({ cwnd: 3 * 1460 });
    // So the first flight after the pause is the initial window: three segments.
    const burst = events.filter(
      (e) => e.kind === 'segment' && e.src.address === '10.0.0.1' && e.len > 0,
    );
    expect(burst).toHaveLength(3);
  });
});

describe('random loss (Mathis et al., 1997)', () => {
  it.each([0.001, 0.005, 0.01])(
    'NewReno at loss %f lies within 30 percent of MSS / (RTT * sqrt(2p/3))',
    (p) => {
      // An ACK per segment (the model's b = 1), no queueing: 20 ms RTT, no rate limit.
      const r = bulkTransfer({
        bytes: 50 << 20,
        rateMbps: 0,
        delayMs: 10,
        loss: p,
        cc: 'newreno',
        queuePackets: 100,
        seed: 1,
        delayedAckMs: 0,
        profile: 'rfc',
      });
      const throughput = (r.bytes * 8) / r.sim_s;
      const mathis = (1448 * 8) / (0.02 * Math.sqrt((2 * p) / 3));
      expect(throughput / mathis).toBeGreaterThan(0.7);
      expect(throughput / mathis).toBeLessThan(1.3);
    },
    60_000,
  );
});
