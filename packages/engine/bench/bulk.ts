/**
 * One bulk transfer in the engine alone (no service, no persistence), printed as one JSON line:
 *   npm run bench:bulk -- --bytes=100000000 --rate-mbps=100 --delay-ms=10 --loss=0.001 --cc=newreno
 * `segments` counts every segment put on the link, both directions; `sim_s` is the virtual
 * time at which the receiver has read the last byte.
 */
import { parseArgs } from 'node:util';
import { Simulation } from '../src/sim/simulation.js';
import type { CongestionAlgorithm } from '../src/tcp/congestion/index.js';
import { PROFILES, type Profile } from '../src/tcp/profiles.js';

const ALGORITHMS: CongestionAlgorithm[] = ['newreno', 'cubic', 'reno', 'tahoe'];
const SEND_BUFFER = 8 << 20;
const WRITE_BYTES = 1 << 16;
const CLIENT_PORT = 49152;

export interface BulkOptions {
  bytes: number;
  rateMbps: number;
  delayMs: number;
  loss: number;
  cc: CongestionAlgorithm;
  queuePackets: number;
  seed: number;
  delayedAckMs: number;
  /**
   * `rfc`: the options below on the engine's defaults (the rows docs/PERFORMANCE.md has kept
   * since the start); `linux`: the linux profile (its CUBIC, RACK-TLP, PRR, ...) with the same
   * buffers, Nagle off, and the congestion control asked for.
   */
  profile: Profile;
}

export interface BulkResult {
  bytes: number;
  segments: number;
  sim_s: number;
  wall_s: number;
  segments_per_s: number;
  cc: CongestionAlgorithm;
  profile: Profile;
  retransmissions: number;
  /** Retransmission timeouts at the sender. */
  timeouts: number;
}

export function bulk(o: BulkOptions): BulkResult {
  const started = performance.now();
  const sim = new Simulation({
    seed: o.seed,
    link: {
      rateMbps: o.rateMbps,
      delayMs: o.delayMs,
      lossRate: o.loss,
      queuePackets: o.queuePackets,
    },
  });
  const options = {
    ...(o.profile === 'linux' ? PROFILES.linux : {}),
    congestion: o.cc,
    sndBuffer: SEND_BUFFER,
    rcvBuffer: 8 << 20,
    timestamps: true,
    sack: true,
    nagle: false,
    delayedAckMs: o.delayedAckMs,
  };
  const client = sim.addEndpoint({ address: '10.0.0.1', port: CLIENT_PORT, options });
  const server = sim.addEndpoint({ address: '10.0.0.2', port: 5001, options });
  sim.listen(server);
  sim.connect(client, { address: '10.0.0.2', port: 5001 });
  let segments = 0;
  let retransmissions = 0;
  let timeouts = 0;
  /** The end of the highest data the sender has sent, and how much of it is unacknowledged. */
  let highest = 0;
  let flight = 0;
  const iss = sim.status(client).tcb.iss;
  const count = () => {
    for (const e of sim.drainTrace()) {
      if (e.kind === 'timer' && e.timer === 'retransmit' && e.action === 'fired') timeouts += 1;
      if (e.kind === 'metrics' && e.endpointId === client) flight = e.flightSize;
      if (e.kind !== 'segment') continue;
      segments += 1;
      if (e.src.port === CLIENT_PORT && e.len > 0) {
        const offset = (e.seq - iss + 0x1_0000_0000) % 0x1_0000_0000;
        if (offset < highest) retransmissions += 1;
        else highest = offset + e.len;
      }
    }
  };
  let child: string | undefined;
  let sent = 0;
  let received = 0;
  // The application writes 64 KB at a time while the send buffer has room for it, as a write
  // with a low-water mark does (what is queued: written, less what the sender's metrics say
  // is acknowledged), and reads everything that has arrived every millisecond. It hands its
  // buffer over (`transfer`) rather than have it copied: the bytes never change.
  const chunk = new Uint8Array(WRITE_BYTES);
  while (received < o.bytes) {
    if (sim.endpointInfo(client).state === 'ESTABLISHED') {
      const acked = Math.max(0, highest - flight - 1); // the SYN takes one sequence number
      while (sent < o.bytes && SEND_BUFFER - (sent - acked) >= WRITE_BYTES) {
        const piece = chunk.subarray(0, Math.min(WRITE_BYTES, o.bytes - sent));
        const accepted = sim.sendData(client, piece, { transfer: true });
        sent += accepted;
        if (accepted < piece.length) break; // never expected: the estimate is exact
      }
    }
    sim.advance(1);
    child ??= sim.endpointIds().find((id) => sim.endpointInfo(id).parentId === server);
    if (child !== undefined) received += sim.receive(child).data.length;
    count();
    if (sim.nowUs > 3600e6) throw new Error('no completion within an hour of virtual time');
  }
  const wall = (performance.now() - started) / 1000;
  return {
    bytes: o.bytes,
    segments,
    sim_s: sim.nowUs / 1e6,
    wall_s: Math.round(wall * 1000) / 1000,
    segments_per_s: Math.round(segments / wall),
    cc: o.cc,
    profile: o.profile,
    retransmissions,
    timeouts,
  };
}

function parse(argv: string[]): BulkOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      bytes: { type: 'string', default: '100000000' }, // 100 MB, as in bench:ns3 and docs/PERFORMANCE.md
      'rate-mbps': { type: 'string', default: '100' },
      'delay-ms': { type: 'string', default: '10' },
      loss: { type: 'string', default: '0' },
      cc: { type: 'string', default: 'newreno' },
      queue: { type: 'string', default: '100' },
      seed: { type: 'string', default: '1' },
      'delayed-ack-ms': { type: 'string', default: '40' },
      profile: { type: 'string', default: 'rfc' },
    },
  });
  const profile = values.profile as Profile;
  if (!(profile in PROFILES)) {
    throw new Error(`--profile must be rfc or linux (got "${values.profile}")`);
  }
  const cc = values.cc as CongestionAlgorithm;
  if (!ALGORITHMS.includes(cc)) {
    throw new Error(`--cc must be one of ${ALGORITHMS.join(', ')} (got "${values.cc}")`);
  }
  const number = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < 0)
      throw new Error(`--${name} must be a non-negative number (got "${text}")`);
    return n;
  };
  return {
    bytes: number('bytes', values.bytes),
    rateMbps: number('rate-mbps', values['rate-mbps']),
    delayMs: number('delay-ms', values['delay-ms']),
    loss: number('loss', values.loss),
    cc,
    queuePackets: number('queue', values.queue),
    seed: number('seed', values.seed),
    delayedAckMs: number('delayed-ack-ms', values['delayed-ack-ms']),
    profile,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    console.log(JSON.stringify(bulk(parse(process.argv.slice(2)))));
  } catch (error) {
    console.error(`bench:bulk: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
}
