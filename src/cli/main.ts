#!/usr/bin/env node
import process from 'node:process';
import { runMetalLab } from './run.js';

const code = await runMetalLab(process.argv.slice(2), process);
// A command is over when its run returns, whatever it leaves behind: a watch request to an API
// server whose VM went away mid-request holds its socket open for good (client-node can abort a
// watch only once its response began), and would keep a finished `run` alive.
process.exit(code);
