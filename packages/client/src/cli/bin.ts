#!/usr/bin/env node
/** The `tcplab` command (see main.ts). */
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
