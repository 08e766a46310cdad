import { execa } from 'execa';
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
  if ((opts.check ?? true) && /failed to connect to the hypervisor/.test(res.stderr)) {
    throw new HostError(`libvirtd is unreachable at ${LIBVIRT_URI}`, 'start it: virtlogd -d; libvirtd -d (or run ./metal-lab setup)');
  }
  if ((opts.check ?? true) && res.exitCode !== 0) throw new CommandError(r);
  return res;
}

/** Runs virsh attached to this terminal (e.g. `console`); resolves with its exit code. */
export async function virshInteractive(args: string[]): Promise<number> {
  const r = await execa('virsh', ['-c', LIBVIRT_URI, ...args], { stdio: 'inherit', reject: false });
  return r.exitCode ?? 1;
}
