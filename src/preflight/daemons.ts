import { createConnection } from 'node:net';
import { HostError } from '../errors.js';
import { LIBVIRT_URI, virsh } from '../libvirt/virsh.js';

const START_DAEMONS = 'start them: virtlogd -d; libvirtd -d (or run ./metal-lab setup)';

/** libvirtd answers on the lab's connection URI; returns e.g. "libvirt 9.0.0, QEMU 7.2.22 at qemu:///system". */
export async function checkLibvirtd(): Promise<string> {
  const r = await virsh(['version'], { check: false, timeoutMs: 20_000 });
  if (r.exitCode !== 0) {
    const why = (r.stderr || r.stdout).trim().split('\n')[0] || `virsh exited ${r.exitCode}`;
    throw new HostError(`libvirtd is unreachable at ${LIBVIRT_URI}: ${why}`, START_DAEMONS);
  }
  const versions = [/Using library: (.+)/, /Running hypervisor: (.+)/].map((re) => r.stdout.match(re)?.[1]).filter(Boolean);
  return `${versions.join(', ') || 'reachable'} at ${LIBVIRT_URI}`;
}

export const VIRTLOGD_SOCKET = '/run/libvirt/virtlogd-sock';

/** libvirtd needs virtlogd for every domain's console log: without it `virsh start` fails. */
export async function checkVirtlogd(socket = VIRTLOGD_SOCKET): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const conn = createConnection({ path: socket });
    conn.once('connect', () => {
      conn.destroy();
      resolve();
    });
    conn.once('error', (err: NodeJS.ErrnoException) => {
      reject(new HostError(`virtlogd is not running (${socket}: ${err.code ?? err.message})`, START_DAEMONS));
    });
  });
}
