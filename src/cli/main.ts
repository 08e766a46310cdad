#!/usr/bin/env node
import process from 'node:process';
import { runMetalLab } from './run.js';

// A reader that stops early (`run ... 2>&1 | head`) closes our output: the command goes on to its
// end, and its cleanup, rather than dying on EPIPE with a lab half made.
for (const out of [process.stdout, process.stderr]) {
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}
const code = await runMetalLab(process.argv.slice(2), process);
// A command is over when its run returns, whatever it leaves behind: a watch request to an API
// server whose VM went away mid-request holds its socket open for good (client-node can abort a
// watch only once its response began), and would keep a finished `run` alive.
process.exit(code);
