/**
 * The scenario library: one lesson per behaviour of the textbook chapter, as YAML files in the
 * package's `scenarios/` folder. `tcplab scenarios list` shows them; `tcplab run <name>` runs one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Scenario } from '@tcplab/contract';
import { parseScenario } from './parse.js';

/** The folder of the library's files (beside src/ and dist/ in the package). */
export const LIBRARY_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

export interface LibraryEntry {
  name: string;
  file: string;
  scenario: Scenario;
}

/** Every scenario of the library, by name; each file is checked as it is read. */
export function loadLibrary(dir = LIBRARY_DIR): LibraryEntry[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      return {
        name: basename(f, '.yaml'),
        file,
        scenario: parseScenario(readFileSync(file, 'utf8'), file),
      };
    });
}

/** The library's scenario called `name`, or undefined. */
export function findInLibrary(name: string, dir = LIBRARY_DIR): LibraryEntry | undefined {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name) || !existsSync(join(dir, `${name}.yaml`)))
    return undefined;
  const file = join(dir, `${name}.yaml`);
  return { name, file, scenario: parseScenario(readFileSync(file, 'utf8'), file) };
}
