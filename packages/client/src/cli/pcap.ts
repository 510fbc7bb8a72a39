/** `tcplab pcap <file|name> -o out.pcapng`: runs a scenario and writes its capture. */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { playScenario } from '../scenario/run.js';
import { loadScenario, UsageError } from './sources.js';
import { TARGET_HELP, TARGET_OPTIONS, targetOf } from './target.js';

export const PCAP_HELP = `Usage: tcplab pcap <file|name> -o <out.pcapng> [options]

Runs the scenario and writes its segments as a pcapng capture that Wireshark and tshark open:
IPv4 + TCP with correct checksums, timestamps in virtual time, one interface per link; a
segment the link lost is there as sent, with a comment saying why.

Options:
  -o, --output FILE   where to write the capture (required)
${TARGET_HELP}
  -h, --help          this text
`;

export async function pcapCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...TARGET_OPTIONS, output: { type: 'string', short: 'o' } },
  });
  if (positionals.length !== 1) throw new UsageError('name one scenario file or library scenario');
  if (values.output === undefined) throw new UsageError('-o <out.pcapng> is required');
  const { scenario } = loadScenario(positionals[0] ?? '');
  const played = await playScenario(scenario, targetOf(values));
  const bytes = await played.pcapng();
  writeFileSync(values.output, bytes);
  process.stderr.write(
    `wrote ${values.output}: ${played.result.segments.length} segments, ${bytes.length} bytes\n`,
  );
  return 0;
}
