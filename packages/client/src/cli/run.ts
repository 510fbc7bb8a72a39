/** `tcplab run <file|name...>`: runs scenarios, reports each, exits 0 only if all passed. */
import { parseArgs } from 'node:util';
import { runPacketdrill, type PacketdrillResult } from '../packetdrill/play.js';
import { loadLibrary } from '../scenario/library.js';
import { runScenario, type ScenarioResult } from '../scenario/run.js';
import { ProgressLine } from './progress.js';
import { reportPacketdrill, reportScenario } from './report.js';
import { loadSource, UsageError } from './sources.js';
import { TARGET_HELP, TARGET_OPTIONS, targetOf } from './target.js';

export const RUN_HELP = `Usage: tcplab run <file|name...> [options]

Runs each scenario file (.yaml, .yml, .json) or scenario of the library (by name), checks
every expectation, and prints PASS or FAIL with what was expected and what was seen.
A packetdrill script (.pkt) is played against one endpoint with Linux's defaults, and every
line of it is reported: pass, fail (expected and seen), unsupported, or not run.
Exits 0 only if every expectation of every scenario holds and every script line passes.

Options:
  --library      run every scenario of the library
${TARGET_HELP}
  --json         print the results as JSON (one array) instead of lines
  -h, --help     this text
`;

export async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...TARGET_OPTIONS, json: { type: 'boolean' }, library: { type: 'boolean' } },
  });
  const sources = values.library === true ? loadLibrary().map((e) => e.name) : [];
  sources.push(...positionals);
  if (sources.length === 0)
    throw new UsageError('name at least one scenario file or library scenario (or --library)');
  // Every file is read and checked before anything runs: a typo fails at once, not at the end.
  const loaded = sources.map((arg) => loadSource(arg));
  const target = targetOf(values);
  const progress = new ProgressLine();
  const results: (ScenarioResult | PacketdrillResult)[] = [];
  for (const [i, item] of loaded.entries()) {
    progress.start();
    if (item.kind === 'packetdrill') {
      const result = await runPacketdrill(item.script, target, { name: item.source });
      results.push(result);
      if (values.json !== true) process.stdout.write(`${reportPacketdrill(result, item.source)}\n`);
      continue;
    }
    const result = await runScenario(item.scenario, target, {
      onProgress: (p) => progress.update(i + 1, loaded.length, p),
    });
    progress.clear();
    results.push(result);
    if (values.json !== true) process.stdout.write(`${reportScenario(result, item.source)}\n`);
  }
  const failed = results.filter((r) => !r.passed).length;
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else if (results.length > 1) {
    process.stdout.write(`\n${results.length - failed} passed, ${failed} failed\n`);
  }
  return failed === 0 ? 0 : 1;
}
