import { Command, CommanderError } from 'commander';
import { cliContext, failed, type CliStreams } from './context.js';
import { registerBuild } from './build.js';
import { registerBundle } from './bundle.js';
import { registerLabCommands } from './lab-commands.js';
import { registerMatchbox } from './matchbox.js';
import { registerRelease } from './release.js';
import { registerRender } from './render.js';
import { registerReport } from './report.js';
import { registerSnapshot } from './snapshot.js';
import { registerSecrets } from './secrets.js';
import { registerSsh } from './ssh.js';
import { METAL_LAB_VERSION } from '../ground/version.js';

/** Runs `metal-lab ARGS...` and returns its exit code: a LabError is its one line and its code. */
export async function runCli(args: string[], streams: CliStreams): Promise<number> {
  const cli = cliContext(streams);
  // Set before the commands register: subcommands inherit both.
  const program = new Command('metal-lab')
    .description('Rehearse bare-metal Kubernetes on one Linux host: PXE, Matchbox, Ignition, in real VMs')
    .version(METAL_LAB_VERSION)
    // Only before the command: `release publish --version 2.0.0` is the release's version, not ours.
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => streams.stdout.write(s), writeErr: (s) => streams.stderr.write(s) });
  registerLabCommands(program, cli);
  registerBuild(program, cli);
  registerBundle(program, cli);
  registerMatchbox(program, cli);
  registerRelease(program, cli);
  registerRender(program, cli);
  registerReport(program, cli);
  registerSnapshot(program, cli);
  registerSecrets(program, cli);
  registerSsh(program, cli);
  try {
    await program.parseAsync(args, { from: 'user' });
    return cli.exitCode;
  } catch (err) {
    // Commander has printed its usage error or help already.
    if (err instanceof CommanderError) return err.exitCode;
    return failed(cli, err);
  }
}
