/**
 * The bulk benchmark side by side with ns-3 (`npm run bench:ns3`): for each row, the engine
 * (bench/bulk.ts) and the ns-3 program (bench/ns3/bulk.cc) run the same transfer in turn, each
 * in a process of its own, `--runs` times; the table shows the median wall time of each and
 * their ratio, and both simulated completion times.
 *
 * The ns-3 program is compiled on first use when ns-3's headers are installed (Debian:
 * `apt-get install libns3-dev libgsl-dev`); without them only the engine's rows are printed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'ns3', 'bulk.cc');
const binary = join(here, 'ns3', 'build', 'bulk');
const NS3_HEADER = '/usr/include/ns3/core-module.h';
const NS3_LIBRARIES = [
  'core',
  'network',
  'internet',
  'point-to-point',
  'applications',
  'traffic-control',
].map((name) => `-lns3-${name}`);

interface Run {
  sim_s: number;
  wall_s: number;
  segments: number;
  retransmissions: number;
  timeouts: number;
}

interface Row {
  cc: string;
  loss: number;
  /** The engine's profile; ns-3 runs its own TCP either way. */
  profile: 'rfc' | 'linux';
}

function ns3Binary(): string | undefined {
  if (!existsSync(NS3_HEADER)) return undefined;
  if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs) {
    mkdirSync(dirname(binary), { recursive: true });
    console.error('bench:ns3: compiling bench/ns3/bulk.cc');
    execFileSync('g++', ['-std=c++17', '-O2', '-o', binary, source, ...NS3_LIBRARIES], {
      stdio: 'inherit',
    });
  }
  return binary;
}

function runJson(command: string, args: string[]): Run {
  const result = spawnSync(command, args, { cwd: join(here, '..'), encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  }
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as Run;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      bytes: { type: 'string', default: '100000000' },
      'rate-mbps': { type: 'string', default: '100' },
      'delay-ms': { type: 'string', default: '10' },
      runs: { type: 'string', default: '3' },
      recovery: { type: 'string', default: 'prr' },
    },
  });
  const common = [
    `--bytes=${values.bytes}`,
    `--rate-mbps=${values['rate-mbps']}`,
    `--delay-ms=${values['delay-ms']}`,
  ];
  const runs = Number(values.runs);
  const rows: Row[] = [
    { cc: 'newreno', loss: 0, profile: 'rfc' },
    { cc: 'cubic', loss: 0, profile: 'rfc' },
    { cc: 'newreno', loss: 0.001, profile: 'rfc' },
    { cc: 'cubic', loss: 0.001, profile: 'rfc' },
    { cc: 'cubic', loss: 0, profile: 'linux' },
    { cc: 'cubic', loss: 0.001, profile: 'linux' },
  ];
  const ns3 = ns3Binary();
  if (ns3 === undefined) {
    console.error(
      `bench:ns3: ${NS3_HEADER} not found, so only the engine runs (install libns3-dev)`,
    );
  }
  console.log(
    '| profile | cc | loss | engine sim_s | ns-3 sim_s | engine wall_s | ns-3 wall_s | engine faster | retransmissions (engine / ns-3) | timeouts (engine / ns-3) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const args = [...common, `--loss=${row.loss}`, `--cc=${row.cc}`];
    const engine: Run[] = [];
    const reference: Run[] = [];
    for (let i = 0; i < runs; i++) {
      engine.push(
        runJson(process.execPath, [
          '--import',
          'tsx',
          'bench/bulk.ts',
          ...args,
          `--profile=${row.profile}`,
        ]),
      );
      if (ns3 !== undefined)
        reference.push(runJson(ns3, [...args, `--recovery=${values.recovery}`]));
    }
    const e = engine[0]!;
    const n = reference[0];
    const engineWall = median(engine.map((r) => r.wall_s));
    const ns3Wall = n === undefined ? undefined : median(reference.map((r) => r.wall_s));
    const cell = (value: number | undefined, digits: number) =>
      value === undefined ? 'n/a' : value.toFixed(digits);
    console.log(
      `| ${row.profile} | ${row.cc} | ${row.loss * 100} % | ${e.sim_s.toFixed(2)} | ${cell(n?.sim_s, 2)} | ` +
        `${engineWall.toFixed(2)} | ${cell(ns3Wall, 2)} | ` +
        `${ns3Wall === undefined ? 'n/a' : `${(ns3Wall / engineWall).toFixed(1)}x`} | ` +
        `${e.retransmissions} / ${n?.retransmissions ?? 'n/a'} | ${e.timeouts} / ${n?.timeouts ?? 'n/a'} |`,
    );
  }
}

main();
