// The lint rule that keeps the engine deterministic is part of the product: prove it fires.
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const engineFile = fileURLToPath(new URL('../src/wire/seq.ts', import.meta.url));
const serviceFile = fileURLToPath(
  new URL('../../../services/session-service/src/config.ts', import.meta.url),
);

async function restrictedUses(code: string, filePath: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot });
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId?.startsWith('no-restricted-'))
    .map((m) => m.ruleId ?? '');
}

describe('engine purity lint', () => {
  it.each([
    ['the wall clock', 'export const now = Date.now();', 'no-restricted-globals'],
    ['performance.now', 'export const now = performance.now();', 'no-restricted-globals'],
    ['Math.random', 'export const r = Math.random();', 'no-restricted-properties'],
    ['a timer', 'setTimeout(() => undefined, 1);', 'no-restricted-globals'],
    ['console', 'console.log("x");', 'no-restricted-globals'],
    ['process', 'export const e = process.env;', 'no-restricted-globals'],
    [
      'node:fs',
      'import { readFileSync } from "node:fs"; readFileSync("x");',
      'no-restricted-imports',
    ],
    ['net', 'import net from "net"; net.createServer();', 'no-restricted-imports'],
  ])(
    'forbids %s in packages/engine/src',
    async (_what, code, rule) => {
      expect(await restrictedUses(code, engineFile)).toContain(rule);
    },
    30_000,
  );

  it('allows the same code outside the engine', async () => {
    expect(await restrictedUses('export const now = Date.now();', serviceFile)).toEqual([]);
  }, 30_000);
});
