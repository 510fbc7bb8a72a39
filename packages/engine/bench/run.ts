/** `npm run bench` in packages/engine: every engine benchmark, one after the other. */
import { churn } from './churn.js';
import { idleMemory } from './idle-memory.js';

if ((globalThis as { gc?: unknown }).gc === undefined) {
  throw new Error('run with node --expose-gc (npm run bench does)');
}

const c = churn();
console.log(
  `churn: ${c.connections} connections (handshake + 10 KB + close, 1 ms link) in ${c.wallMs} ms wall, ` +
    `${c.segments} segments = ${c.segmentsPerSecond} segments/s, ${c.virtualSeconds} s virtual, peak heap ${c.peakHeapMb} MB`,
);
const m = idleMemory();
console.log(
  `idle memory: ${m.connections} established idle connections (${m.endpoints} endpoints) use ${m.heapMb} MB: ` +
    `${m.bytesPerConnection} bytes per connection, ${m.bytesPerEndpoint} per endpoint (built in ${m.wallMs} ms)`,
);
