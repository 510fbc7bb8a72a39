/**
 * Connection churn: 10,000 connections, each a handshake, 10 KB from client to server and a
 * close, over a 1 ms link, 100 at a time. Prints wall time, simulated segments per wall-clock
 * second and peak heap. Run with `npm run bench` (or `node --expose-gc --import tsx bench/churn.ts`).
 */
import { Simulation } from '../src/sim/simulation.js';

const CONNECTIONS = Number(process.env.CHURN_CONNECTIONS ?? 10_000);
const CONCURRENT = 100;
const PAYLOAD = new Uint8Array(10 * 1024).fill(7);

export interface ChurnResult {
  connections: number;
  wallMs: number;
  segments: number;
  segmentsPerSecond: number;
  virtualSeconds: number;
  peakHeapMb: number;
}

export function churn(connections = CONNECTIONS): ChurnResult {
  const sim = new Simulation({ seed: 1, link: { delayMs: 1 }, defaults: { mslMs: 1000 } });
  const server = sim.addEndpoint({ address: '10.1.0.1', port: 80 });
  sim.listen(server);
  let segments = 0;
  let peakHeap = process.memoryUsage().heapUsed;
  const started = performance.now();

  for (let batch = 0; batch < connections / CONCURRENT; batch++) {
    const clients: string[] = [];
    for (let i = 0; i < CONCURRENT; i++) {
      const n = batch * CONCURRENT + i;
      const id = sim.addEndpoint({
        address: `10.2.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`,
        port: 10_000 + Math.floor(n / 62_500),
      });
      sim.connect(id, { address: '10.1.0.1', port: 80 });
      clients.push(id);
    }
    const pending = new Set(clients);
    // Servers read everything and close once the client's FIN has arrived.
    for (let round = 0; round < 1000; round++) {
      sim.advance(5);
      // Clients write their 10 KB and close once connected.
      for (const id of pending) {
        if (sim.endpointInfo(id).state !== 'ESTABLISHED') continue;
        sim.sendData(id, PAYLOAD);
        sim.shutdown(id);
        pending.delete(id);
      }
      for (const id of sim.endpointIds().slice(-2 * CONCURRENT)) {
        const info = sim.endpointInfo(id);
        if (info.parentId !== server) continue;
        const { eof } = sim.receive(id);
        if (eof && info.state === 'CLOSE-WAIT') sim.close(id);
      }
      for (const e of sim.drainTrace()) if (e.kind === 'segment') segments++;
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
      if (
        clients.every(
          (id) =>
            sim.endpointInfo(id).state === 'TIME-WAIT' || sim.endpointInfo(id).state === 'CLOSED',
        )
      )
        break;
    }
  }
  sim.runUntilIdle(10_000);
  for (const e of sim.drainTrace()) if (e.kind === 'segment') segments++;
  const wallMs = performance.now() - started;
  return {
    connections,
    wallMs: Math.round(wallMs),
    segments,
    segmentsPerSecond: Math.round(segments / (wallMs / 1000)),
    virtualSeconds: sim.nowUs / 1e6,
    peakHeapMb: Math.round((peakHeap / 1024 / 1024) * 10) / 10,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(churn(), null, 2));
}
