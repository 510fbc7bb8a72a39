/** `tcplab scenarios list | show <name>`: the scenario library. */
import { readFileSync } from 'node:fs';
import { loadLibrary, findInLibrary } from '../scenario/library.js';
import { UsageError } from './sources.js';

export const SCENARIOS_HELP = `Usage: tcplab scenarios list
       tcplab scenarios show <name>

list   every scenario of the library: its name, title and tags
show   one scenario: its description (what to watch and why) and its file, ready to copy
       and change; run it with \`tcplab run <name>\`
`;

export function scenariosCommand(args: string[]): Promise<number> {
  const [action, name, ...extra] = args;
  if (extra.length > 0) throw new UsageError(`unexpected ${extra.join(' ')}`);
  if (action === 'list' && name === undefined) {
    const entries = loadLibrary();
    const width = Math.max(...entries.map((e) => e.name.length));
    for (const { name: n, scenario } of entries) {
      const tags = scenario.tags === undefined ? '' : `  [${scenario.tags.join(', ')}]`;
      process.stdout.write(`${n.padEnd(width)}  ${scenario.title}${tags}\n`);
    }
    return Promise.resolve(0);
  }
  if (action === 'show' && name !== undefined) {
    const entry = findInLibrary(name);
    if (entry === undefined)
      throw new UsageError(`no scenario named ${name} (tcplab scenarios list)`);
    process.stdout.write(
      `${entry.scenario.title}\n\n${entry.scenario.description.trim()}\n\n# ${entry.file}\n`,
    );
    process.stdout.write(readFileSync(entry.file, 'utf8'));
    return Promise.resolve(0);
  }
  throw new UsageError(
    action === undefined ? 'list or show <name>?' : `unknown: scenarios ${args.join(' ')}`,
  );
}
