/** `tcplab ladder <file|name>`: runs a scenario and prints its ladder diagram. */
import { parseArgs } from 'node:util';
import { playScenario } from '../scenario/run.js';
import { loadScenario, UsageError } from './sources.js';
import { TARGET_HELP, TARGET_OPTIONS, targetOf } from './target.js';

export const LADDER_HELP = `Usage: tcplab ladder <file|name> [options]

Runs the scenario and prints its ladder diagram: one column per endpoint, time (ms) flowing
down, an arrow per segment labelled like tcpdump (seq and ack from each side's ISN), a cross
where the link lost one, and every state change under its endpoint.

Options:
${TARGET_HELP}
  -h, --help     this text
`;

export async function ladderCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: TARGET_OPTIONS,
  });
  if (positionals.length !== 1) throw new UsageError('name one scenario file or library scenario');
  const { scenario } = loadScenario(positionals[0] ?? '');
  const played = await playScenario(scenario, targetOf(values));
  process.stdout.write(await played.ladder());
  return 0;
}
