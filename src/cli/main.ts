#!/usr/bin/env node
import { Command } from 'commander';
import { LabError } from '../errors.js';
import { hostLayout } from '../ground/host-layout.js';
import { registerBuild } from './build.js';
import { registerLabCommands } from './lab-commands.js';
import { registerMatchbox } from './matchbox.js';
import { registerRelease } from './release.js';
import { registerRender } from './render.js';
import { registerSsh } from './ssh.js';

const program = new Command('metal-lab')
  .description('Rehearse bare-metal Kubernetes on one Linux host: PXE, Matchbox, Ignition, in real VMs')
  .showHelpAfterError();

// Commands register themselves here; each is a thin wrapper over a library function. Where
// labs and images live on this host is read once, here.
const host = hostLayout();
registerLabCommands(program, host);
registerBuild(program, host);
registerMatchbox(program);
registerRelease(program, host);
registerRender(program, host);
registerSsh(program, host);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof LabError) {
    console.error(`metal-lab: ${err.line()}`);
    process.exit(err.exitCode);
  }
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
