/** Two hosts on one simulated link, a client and a server, and readable views of the trace. */
import { Simulation, type SimulationConfig } from '../src/sim/simulation.js';
import type { EndpointOptions } from '../src/tcp/options.js';
import type { TcpState } from '../src/tcp/state.js';
import type { TraceEvent } from '../src/trace/events.js';
import { formatSegment } from '../src/trace/format.js';

export const CLIENT = { address: '10.0.0.1', port: 49152 };
export const SERVER = { address: '10.0.0.2', port: 80 };

export interface Pair {
  sim: Simulation;
  client: string;
  server: string;
  trace: TraceEvent[];
  /** Runs until idle (or `maxMs`), collecting the trace. */
  run(maxMs?: number): void;
  advance(ms: number): void;
  /** Segment lines so far, `>` from the client, `<` from the server, with fates. */
  lines(): string[];
  /** The states each endpoint went through, in order. */
  states(id: string): TcpState[];
  /** The endpoint the listener made for the connection. */
  accepted(): string;
}

export function pair(
  options: { client?: Partial<EndpointOptions>; server?: Partial<EndpointOptions> } = {},
  config: Partial<SimulationConfig> = {},
): Pair {
  const sim = new Simulation({ seed: 1, link: { delayMs: 10 }, ...config });
  const client = sim.addEndpoint({
    ...CLIENT,
    name: 'client',
    options: { isn: 1000, ...options.client },
  });
  const server = sim.addEndpoint({
    ...SERVER,
    name: 'server',
    options: { isn: 5000, ...options.server },
  });
  const trace: TraceEvent[] = [];
  const collect = () => trace.push(...sim.drainTrace());
  return {
    sim,
    client,
    server,
    trace,
    run: (maxMs = 600_000) => {
      collect();
      sim.runUntilIdle(maxMs);
      collect();
    },
    advance: (ms) => {
      collect();
      sim.advance(ms);
      collect();
    },
    lines: () => {
      collect();
      return trace.flatMap((e) => {
        if (e.kind !== 'segment') return [];
        const direction = e.src.address === CLIENT.address ? '>' : '<';
        const fate =
          e.fate === 'delivered'
            ? ''
            : ` [${e.fate}${e.reason === undefined ? '' : ` ${e.reason}`}]`;
        return [`${direction} ${formatSegment(e)}${fate}`];
      });
    },
    states: (id) => {
      collect();
      const initial: TcpState[] = ['CLOSED'];
      return initial.concat(
        trace.flatMap((e) => (e.kind === 'state' && e.endpointId === id ? [e.to] : [])),
      );
    },
    accepted: () => {
      const child = sim.endpointIds().find((id) => sim.endpointInfo(id).parentId === server);
      if (child === undefined) throw new Error('the listener accepted no connection');
      return child;
    },
  };
}

export const text = (s: string) => new TextEncoder().encode(s);
export const decode = (b: Uint8Array) => new TextDecoder().decode(b);
