/** Child processes for tests: run a TypeScript entry point, wait for a line, collect output. */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const SERVICE_DIR = fileURLToPath(new URL('..', import.meta.url));

export interface Child {
  process: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code once the process has exited. */
  exited(): Promise<number | null>;
}

export function runTs(entry: string, args: string[], env: NodeJS.ProcessEnv): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: SERVICE_DIR,
    env,
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited: () => exit,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = out.match(pattern);
          if (match === null) return false;
          clearInterval(timer);
          clearTimeout(deadline);
          resolve(match);
          return true;
        };
        const timer = setInterval(check, 25);
        const deadline = setTimeout(() => {
          clearInterval(timer);
          reject(
            new Error(
              `no ${String(pattern)} within ${timeoutMs} ms; stdout: ${out}; stderr: ${err}`,
            ),
          );
        }, timeoutMs);
        void exit.then(() => {
          if (!check()) {
            clearInterval(timer);
            clearTimeout(deadline);
            reject(new Error(`exited before ${String(pattern)}; stdout: ${out}; stderr: ${err}`));
          }
        });
      }),
  };
}

/** The environment of this process without the variables that choose a database. */
export function envWithoutDatabase(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.DATABASE_URL;
  return env;
}

/** Kills (SIGKILL) the children a test left running and forgets them. */
export function killLeftovers(children: Child[]): void {
  for (const child of children.splice(0)) {
    if (child.process.exitCode === null) child.process.kill('SIGKILL');
  }
}
