import { execFile } from 'node:child_process';
import { HostError } from '../errors.js';
import { CommandError, runCommand } from '../toolkit/command-error.js';

/** The libvirt connection every lab uses: system libvirtd, where bridges and dnsmasq live. */
export const LIBVIRT_URI = process.env.METAL_LAB_LIBVIRT_URI ?? 'qemu:///system';

export interface VirshResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Runs one virsh command. This module is the only place that shells out to virsh.
 * With `check` (the default) a failure throws a CommandError carrying the command and its output;
 * without, the caller reads the exit code (e.g. "not found" is an answer).
 */
export async function virsh(
  args: string[],
  opts: { input?: string; check?: boolean; timeoutMs?: number } = {},
): Promise<VirshResult> {
  const r = await runCommand(['virsh', '-c', LIBVIRT_URI, ...args], {
    input: opts.input,
    timeoutMs: opts.timeoutMs ?? 60_000,
    env: { LC_ALL: 'C' },
    allowExit: 'any',
    install: 'run ./metal-lab setup (or apt-get install libvirt-clients)',
  });
  const res = { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
  if (opts.check ?? true) checkConnected(res.stderr);
  if ((opts.check ?? true) && res.exitCode !== 0) throw new CommandError(r);
  return res;
}

/**
 * Runs `args` unless its work turns out done already, asked only when the command fails: the
 * common case (nothing there yet) costs one virsh, not a query and then the command. A failure
 * with the work not done is run again, to throw with its output. Whether it did the work.
 */
export async function virshUnless(args: string[], alreadyDone: () => Promise<boolean>): Promise<boolean> {
  if ((await virsh(args, { check: false })).exitCode === 0) return true;
  if (await alreadyDone()) return false;
  await virsh(args);
  return true;
}

function checkConnected(stderr: string): void {
  if (/failed to connect to the hypervisor/.test(stderr)) {
    throw new HostError(`libvirtd is unreachable at ${LIBVIRT_URI}`, 'start it: virtlogd -d; libvirtd -d (or run ./metal-lab setup)');
  }
}

/** Ends each query's output in a batch: virsh's own `echo`, a line no query prints. */
const END = '==metal-lab-query-end==';
const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Read-only queries in one virsh process (its shell's `;`), each one's stdout apart. `status`
 * is run in loops: one process takes 40 ms where three took 300 under load. It runs through
 * node's child_process, not execa, whose import alone would cost status more than the call.
 * A query that fails prints to stderr and the next one runs: its output comes back empty.
 */
export async function virshQueries(queries: readonly string[][]): Promise<string[]> {
  const script = queries.map((q) => `${q.map(quote).join(' ')}; echo ${END}`).join('; ');
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile('virsh', ['-c', LIBVIRT_URI, script], { env: { ...process.env, LC_ALL: 'C' }, timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if ((err as NodeJS.ErrnoException | null)?.code === 'ENOENT') reject(new HostError('virsh is not installed', 'run ./metal-lab setup (or apt-get install libvirt-clients)'));
      // A failed query makes virsh exit 1 after the rest ran: that is an answer, read below.
      else if (err && (err.killed || err.signal)) reject(new Error(`virsh ${script} did not finish: ${err.message}`));
      else resolve({ stdout, stderr });
    });
  });
  checkConnected(stderr);
  const parts = stdout.split(`${END}\n`);
  if (parts.length !== queries.length + 1) throw new Error(`virsh ${script} answered ${parts.length - 1} of ${queries.length} queries: ${stderr.trim()}`);
  return parts.slice(0, -1);
}

/** Runs virsh attached to this terminal (e.g. `console`); resolves with its exit code. */
export async function virshInteractive(args: string[]): Promise<number> {
  const { execa } = await import('execa');
  const r = await execa('virsh', ['-c', LIBVIRT_URI, ...args], { stdio: 'inherit', reject: false });
  return r.exitCode ?? 1;
}
