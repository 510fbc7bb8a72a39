/** What the CLI's arguments name: a scenario file, or a scenario of the library by name. */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { Scenario } from '@tcplab/contract';
import { findInLibrary } from '../scenario/library.js';
import { parseScenario } from '../scenario/parse.js';

/** A usage mistake: the CLI prints it and exits with 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const SCENARIO_EXTENSIONS = ['.yaml', '.yml', '.json'];
export const PACKETDRILL_EXTENSION = '.pkt';

/** What `tcplab run` was given: a scenario, or a packetdrill script's text. */
export type Source =
  | { kind: 'scenario'; scenario: Scenario; source: string }
  | { kind: 'packetdrill'; script: string; source: string };

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/** A scenario (file or library name) or a packetdrill script (.pkt). */
export function loadSource(arg: string): Source {
  if (extname(arg) === PACKETDRILL_EXTENSION)
    return { kind: 'packetdrill', script: read(arg), source: arg };
  return { kind: 'scenario', ...loadScenario(arg) };
}

/** Reads a scenario from a path, or from the library when `arg` is a name (`handshake`). */
export function loadScenario(arg: string): { scenario: Scenario; source: string } {
  if (SCENARIO_EXTENSIONS.includes(extname(arg))) {
    let text: string;
    try {
      text = readFileSync(arg, 'utf8');
    } catch (error) {
      throw new UsageError(
        `cannot read ${arg}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
    return { scenario: parseScenario(text, arg), source: arg };
  }
  const entry = findInLibrary(arg);
  if (entry === undefined) {
    throw new UsageError(
      `${arg}: not a scenario file (${SCENARIO_EXTENSIONS.join(', ')}), a packetdrill script (.pkt) nor a scenario of the library (tcplab scenarios list)`,
    );
  }
  return { scenario: entry.scenario, source: entry.name };
}
