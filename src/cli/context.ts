import type { Readable, Writable } from 'node:stream';
import { LabError } from '../errors.js';
import { hostLayout, type HostLayout } from '../ground/host-layout.js';

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

export function cliContext(streams: CliStreams): CliContext {
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

/** The exit code of a command that threw: a LabError is its one line and its code, anything else its stack. */
export function failed(cli: CliContext, err: unknown): number {
  if (err instanceof LabError) {
    cli.say(err.line());
    return err.exitCode;
  }
  cli.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}
