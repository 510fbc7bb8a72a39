/**
 * tcplab: runs scenarios and packetdrill scripts (in this process or on a service), lists the
 * scenario library, draws ladder diagrams, and writes traces Wireshark opens.
 */
import { createRequire } from 'node:module';
import { isApiError, isNetworkError } from '../errors.js';
import { ScenarioError } from '../scenario/parse.js';
import { ladderCommand, LADDER_HELP } from './ladder.js';
import { pcapCommand, PCAP_HELP } from './pcap.js';
import { runCommand, RUN_HELP } from './run.js';
import { scenariosCommand, SCENARIOS_HELP } from './scenarios.js';
import { UsageError } from './sources.js';

const HELP = `tcplab: simulated TCP, by the RFCs, for teaching and testing

Usage: tcplab <command> [options]

Commands:
  run <file|name...>        run scenarios (.yaml, .json, library names) and packetdrill
                            scripts (.pkt), check what they expect
  scenarios list            the scenario library, one lesson per TCP behaviour
  scenarios show <name>     one scenario: what to watch, and its file
  ladder <file|name>        run a scenario and draw its ladder diagram
  pcap <file|name> -o FILE  run a scenario and write its segments as a pcapng capture

Run \`tcplab <command> --help\` for a command's options.
`;

type Command = (args: string[]) => Promise<number>;

const { version: VERSION } = createRequire(import.meta.url)('../../package.json') as {
  version: string;
};

const COMMANDS: Record<string, { run: Command; help: string }> = {
  run: { run: runCommand, help: RUN_HELP },
  scenarios: { run: scenariosCommand, help: SCENARIOS_HELP },
  ladder: { run: ladderCommand, help: LADDER_HELP },
  pcap: { run: pcapCommand, help: PCAP_HELP },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    process.stdout.write(
      topic !== undefined && COMMANDS[topic] !== undefined ? COMMANDS[topic].help : HELP,
    );
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write(`tcplab ${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`tcplab: unknown command "${name}"\n\n${HELP}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError || isUsage(error)) {
      process.stderr.write(`tcplab ${name}: ${(error as Error).message}\n\n${command.help}`);
      return 2;
    }
    if (error instanceof ScenarioError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    if (isNetworkError(error) || isApiError(error)) {
      process.stderr.write(`tcplab ${name}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

/** parseArgs's own complaints (an unknown option, a missing value) are usage errors too. */
function isUsage(error: unknown): boolean {
  return (
    error instanceof TypeError &&
    String((error as { code?: string }).code).startsWith('ERR_PARSE_ARGS')
  );
}
