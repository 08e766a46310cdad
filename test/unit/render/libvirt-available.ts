import { virsh } from '../../../src/libvirt/virsh.js';

/** Why libvirtd cannot be used here, or undefined when it can. `uri` is cheap: no QEMU probe. */
export async function libvirtUnavailable(): Promise<string | undefined> {
  const r = await virsh(['uri'], { check: false, timeoutMs: 30_000 });
  return r.exitCode === 0 ? undefined : `libvirt is not reachable: ${r.stderr.trim() || `exit ${r.exitCode}`}`;
}
