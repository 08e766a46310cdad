import { HostError, LabError } from '../errors.js';

/** How a command ended and what it printed (execa's shape, kept to what the lab reads). */
export interface CommandResult {
  /** argv, the program first. */
  command: readonly string[];
  /** undefined when a signal, a timeout or a failed start ended it. */
  exitCode: number | undefined;
  signal: string | undefined;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

/** What an error keeps of each stream: the end, where the reason usually is. */
const TAIL_CHARS = 4000;
/** Output lines the one-line message quotes. */
const MESSAGE_LINES = 3;

export const tail = (text: string, chars = TAIL_CHARS) => (text.length > chars ? text.slice(-chars) : text);

/** The last `n` non-empty lines, joined for a one-line message. */
export function lastLines(text: string, n = MESSAGE_LINES): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).slice(-n).join(' | ');
}

/** argv as a shell line a user can paste (long commands are cut: the fields keep the whole argv). */
export function shellLine(argv: readonly string[], max = 300): string {
  const line = argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

function ending(r: CommandResult): string {
  if (r.timedOut) return 'timed out';
  if (r.signal) return `was killed by ${r.signal}`;
  if (r.exitCode === undefined) return 'could not start';
  return `exited ${r.exitCode}`;
}

/**
 * A command that failed: its argv, how it ended and the tail of its output, with a message a
 * user can act on. `exitCode` stays LabError's (what metal-lab exits with); the command's own
 * is `commandExitCode`.
 */
export class CommandError extends LabError {
  readonly command: readonly string[];
  readonly commandExitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  /** The last TAIL_CHARS of each stream. */
  readonly stdout: string;
  readonly stderr: string;

  constructor(r: CommandResult, opts: { what?: string; fix?: string } = {}) {
    const output = lastLines(r.stderr) || lastLines(r.stdout) || '(no output)';
    const run = `\`${shellLine(r.command)}\` ${ending(r)}: ${output}`;
    super(opts.what ? `${opts.what}: ${run}` : run, opts.fix ?? `run \`${shellLine(r.command)}\` by hand to see all it says`);
    this.command = r.command;
    this.commandExitCode = r.exitCode;
    this.signal = r.signal;
    this.timedOut = r.timedOut;
    this.stdout = tail(r.stdout);
    this.stderr = tail(r.stderr);
  }
}

export interface CommandOptions {
  cwd?: string;
  /** Added to this process's environment. */
  env?: Record<string, string>;
  input?: string;
  timeoutMs?: number;
  /**
   * Exit codes that are answers, not failures (dpkg --compare-versions: 1 is "no"). 'any' leaves
   * the verdict to the caller, who throws a CommandError itself when it decides the command failed.
   */
  allowExit?: readonly number[] | 'any';
  /** What the command was for, leading the error: "downloading busybox-static=1:1.35.0-4". */
  what?: string;
  fix?: string;
  /** The fix when the program is not installed (a HostError). */
  install?: string;
}

/** The result of a command that was started with execa's reject: false. */
export function commandResult(
  argv: readonly string[],
  r: { exitCode?: number; signal?: string; timedOut: boolean; stdout?: unknown; stderr?: unknown; originalMessage?: string; failed: boolean },
): CommandResult {
  const started = r.exitCode !== undefined || r.signal !== undefined || r.timedOut;
  return {
    command: argv,
    exitCode: r.exitCode,
    signal: r.signal,
    timedOut: r.timedOut,
    stdout: String(r.stdout ?? ''),
    // A command that never started has no stderr: the reason is execa's.
    stderr: started ? String(r.stderr ?? '') : (r.originalMessage ?? ''),
  };
}

/**
 * Runs `argv` (no shell) and returns its output. A missing program is a HostError with the
 * `install` fix; any other failure (an exit code not allowed, a signal, a timeout) a CommandError.
 */
export async function runCommand(argv: readonly string[], opts: CommandOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (!file) throw new Error('runCommand needs a program');
  // Imported on first use: a command that runs none (status) does not pay for loading execa.
  const { execa } = await import('execa');
  const r = await execa(file, args, { cwd: opts.cwd, env: opts.env, input: opts.input, timeout: opts.timeoutMs, reject: false });
  if (r.code === 'ENOENT') throw new HostError(`${file} is not installed`, opts.install ?? 'run ./metal-lab setup as root');
  const result = commandResult(argv, r);
  const allowed = opts.allowExit ?? [0];
  const ok = allowed === 'any' || (result.exitCode !== undefined && allowed.includes(result.exitCode));
  if (!ok) throw new CommandError(result, { what: opts.what, fix: opts.fix });
  return result;
}
