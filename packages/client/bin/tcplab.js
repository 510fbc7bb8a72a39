#!/usr/bin/env node
// The `tcplab` command. Its code is TypeScript built to dist/; this file is here before the
// build, so that npm links the command at install time.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/bin.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write(
    'tcplab is not built yet: run `npm run build` (from a checkout, `npm run tcplab -- <command>` builds and runs it)\n',
  );
  process.exitCode = 2;
}
