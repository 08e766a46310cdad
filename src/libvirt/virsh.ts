import { execa } from 'execa';
import { HostError } from '../errors.js';

/** The libvirt connection every lab uses: system libvirtd, where bridges and dnsmasq live. */
export const LIBVIRT_URI = process.env.METAL_LAB_LIBVIRT_URI ?? 'qemu:///system';

export interface VirshResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Runs one virsh command. This module is the only place that shells out to virsh.
 * With `check` (the default) a non-zero exit throws an Error carrying the command and stderr.
 */
export async function virsh(
  args: string[],
  opts: { input?: string; check?: boolean; timeoutMs?: number } = {},
): Promise<VirshResult> {
  const full = ['-c', LIBVIRT_URI, ...args];
  const r = await execa('virsh', full, {
    input: opts.input,
    reject: false,
    timeout: opts.timeoutMs ?? 60_000,
    env: { LC_ALL: 'C' },
  });
  if (r.code === 'ENOENT') {
    throw new HostError('virsh is not installed', 'run ./metal-lab setup (or apt-get install libvirt-clients)');
  }
  const res = { stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), exitCode: r.exitCode ?? -1 };
  if ((opts.check ?? true) && /failed to connect to the hypervisor/.test(res.stderr)) {
    throw new HostError(`libvirtd is unreachable at ${LIBVIRT_URI}`, 'start it: virtlogd -d; libvirtd -d (or run ./metal-lab setup)');
  }
  if ((opts.check ?? true) && res.exitCode !== 0) {
    throw new Error(`virsh ${args.join(' ')} failed (exit ${res.exitCode}): ${res.stderr.trim() || res.stdout.trim()}`);
  }
  return res;
}

/** Runs virsh attached to this terminal (e.g. `console`); resolves with its exit code. */
export async function virshInteractive(args: string[]): Promise<number> {
  const r = await execa('virsh', ['-c', LIBVIRT_URI, ...args], { stdio: 'inherit', reject: false });
  return r.exitCode ?? 1;
}
