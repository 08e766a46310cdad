import { createWriteStream } from 'node:fs';
import { execa } from 'execa';
import { HostError } from '../errors.js';
import { CommandError, commandResult, tail, type CommandResult } from './command-error.js';

export interface LoggedCommandOptions {
  /** Every line of stdout and stderr, in order, goes here. */
  logFile: string;
  env?: Record<string, string>;
  /** Each line as it arrives (progress, a heartbeat's "last"). */
  onLine?: (line: string) => void;
  /**
   * Run in a process group of its own, so that aborting stops everything it started (make, go),
   * not just the script.
   */
  processGroup?: boolean;
  /** Aborting stops the command and rejects with the signal's reason. */
  signal?: AbortSignal;
  what?: string;
  /** Default: read the log. */
  fix?: string;
}

/**
 * Runs a long command (a build script) with its output streamed into a log file line by line.
 * Resolves with the tail of that output as stdout; a failure is a CommandError quoting its last
 * lines and pointing at the whole log.
 */
export async function runLogged(argv: readonly string[], o: LoggedCommandOptions): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('runLogged needs a program');
  const log = createWriteStream(o.logFile);
  const child = execa(file, args, { env: o.env, all: true, buffer: false, reject: false, detached: o.processGroup });
  const stop = () => {
    if (o.processGroup && child.pid) process.kill(-child.pid, 'SIGTERM');
    else child.kill();
  };
  o.signal?.addEventListener('abort', stop, { once: true });
  let output = '';
  try {
    for await (const line of child.iterable({ from: 'all' })) {
      log.write(`${line}\n`);
      output = tail(`${output}\n${line}`);
      o.onLine?.(line);
    }
  } finally {
    o.signal?.removeEventListener('abort', stop);
  }
  const r = await child;
  await new Promise((done) => log.end(done));
  o.signal?.throwIfAborted();
  if (r.code === 'ENOENT') throw new HostError(`${file} is not installed`, 'run ./metal-lab setup as root');
  const result = { ...commandResult(argv, r), stdout: output.trim() };
  if (result.exitCode !== 0) throw new CommandError(result, { what: o.what, fix: o.fix ?? `read the whole log at ${o.logFile}` });
  return result;
}
