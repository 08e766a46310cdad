import type { Readable, Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { LabError } from '../errors.js';
import { hostLayout, type HostLayout } from '../ground/host-layout.js';
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

/**
 * What a command may touch of the process it runs in: its streams, its environment and its exit
 * code. Commands take it instead of reaching for `process`, so a test runs the CLI in its own
 * thread with its own streams and environment, as kind's commands take their IOStreams.
 */
export interface CliContext {
  /** Where labs and images live on this host, read once from `env`. */
  host: HostLayout;
  env: NodeJS.ProcessEnv;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** A line of the command's result, on stdout. */
  print(line: string): void;
  /** A line about what is happening, on stderr as `metal-lab: LINE`. */
  say(line: string): void;
  /** The exit code when the command itself succeeds but wants a non-zero one. */
  exitCode: number;
}

export interface CliStreams {
  env: NodeJS.ProcessEnv;
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
}

function cliContext(streams: CliStreams): CliContext {
  const { env, stdout, stderr } = streams;
  return {
    host: hostLayout(env),
    env,
    // Only when asked for: process.stdin opens the terminal or pipe on first use.
    get stdin() {
      return streams.stdin;
    },
    stdout,
    stderr,
    print: (line) => stdout.write(`${line}\n`),
    say: (line) => stderr.write(`metal-lab: ${line}\n`),
    exitCode: 0,
  };
}

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
    if (err instanceof LabError) {
      cli.say(err.line());
      return err.exitCode;
    }
    streams.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
