// Runs `prisma generate` for the shared schema in /prisma.
// `generate` never runs Prisma's schema engine, but the CLI resolves that binary at start and
// downloads it when missing; pointing PRISMA_SCHEMA_ENGINE_BINARY at an existing file (node
// itself) lets generation work offline. An operator's own setting is left alone.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const prismaCli = require.resolve('prisma/build/index.js');
const config = fileURLToPath(new URL('../../../prisma.config.ts', import.meta.url));

const result = spawnSync(process.execPath, [prismaCli, 'generate', '--config', config], {
  stdio: ['ignore', 'inherit', 'inherit'],
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  },
});
process.exit(result.status ?? 1);
