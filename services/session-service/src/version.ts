import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const manifest = require('../package.json') as { version: string };

/** The service's version, from its package.json. */
export const SERVICE_VERSION = manifest.version;
