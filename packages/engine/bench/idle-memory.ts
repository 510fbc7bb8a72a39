/**
 * Idle memory: the heap that established, idle connections cost, with 100,000 of them (each
 * has two endpoints: the client and the one the listener made). Needs --expose-gc for a
 * clean measurement; `npm run bench` passes it.
 */
import { Simulation } from '../src/sim/simulation.js';

const CONNECTIONS = Number(process.env.IDLE_CONNECTIONS ?? 100_000);

export interface IdleResult {
  connections: number;
  endpoints: number;
  heapMb: number;
  bytesPerConnection: number;
  bytesPerEndpoint: number;
  wallMs: number;
}

function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

export function idleMemory(connections = CONNECTIONS): IdleResult {
  const started = performance.now();
  const before = heapAfterGc();
  const sim = new Simulation({ seed: 1, link: { delayMs: 1 } });
  // A backlog as large as the run, so that no SYN is dropped while 1,000 connect at once.
  const server = sim.addEndpoint({
    address: '10.1.0.1',
    port: 80,
    options: { backlog: connections },
  });
  sim.listen(server);
  for (let n = 0; n < connections; n++) {
    const id = sim.addEndpoint({
      address: `10.${2 + Math.floor(n / 62_500)}.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`,
      port: 10_000,
    });
    sim.connect(id, { address: '10.1.0.1', port: 80 });
    if (n % 1000 === 999) {
      sim.runUntilIdle(1000);
      sim.drainTrace();
    }
  }
  sim.runUntilIdle(1000);
  sim.drainTrace();
  const established = sim
    .endpointIds()
    .filter((id) => sim.endpointInfo(id).state === 'ESTABLISHED');
  if (established.length !== 2 * connections) {
    throw new Error(
      `expected ${2 * connections} established endpoints, found ${established.length}`,
    );
  }
  const heap = heapAfterGc() - before;
  // Keep the simulation alive until after the measurement.
  if (sim.endpointIds().length === 0) throw new Error('unreachable');
  return {
    connections,
    endpoints: established.length,
    heapMb: Math.round((heap / 1024 / 1024) * 10) / 10,
    bytesPerConnection: Math.round(heap / connections),
    bytesPerEndpoint: Math.round(heap / established.length),
    wallMs: Math.round(performance.now() - started),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(idleMemory(), null, 2));
}
