#!/usr/bin/env node
import process from 'node:process';
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2), process);
// A failed command may leave a socket or a timer behind; it is over all the same.
if (code !== 0) process.exit(code);
