import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { HostError } from '../errors.js';

/** The first executable `name` on a PATH-style list, like `command -v`. */
export async function findOnPath(name: string, searchPath = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
    const file = path.join(dir, name);
    if (await access(file, constants.X_OK).then(() => true, () => false)) return file;
  }
  return undefined;
}

export async function checkQemu(searchPath?: string): Promise<string> {
  const qemu = await findOnPath('qemu-system-x86_64', searchPath);
  if (!qemu) throw new HostError('qemu-system-x86_64 is not on PATH', 'apt-get install qemu-system-x86 (or run ./metal-lab setup)');
  return qemu;
}

/**
 * undionly.kpxe and ipxe.efi are what dnsmasq hands a plain PXE ROM (BIOS, UEFI) over TFTP;
 * efi-virtio.rom is the iPXE option ROM QEMU loads into the guests' virtio NICs.
 */
export const IPXE_FILES = ['/usr/lib/ipxe/undionly.kpxe', '/usr/lib/ipxe/ipxe.efi', '/usr/lib/ipxe/qemu/efi-virtio.rom'];

export async function checkIpxe(files: readonly string[] = IPXE_FILES): Promise<void> {
  for (const file of files) {
    if (!(await exists(file))) {
      throw new HostError(`iPXE file ${file} is missing`, 'apt-get install ipxe ipxe-qemu (or run ./metal-lab setup)');
    }
  }
}

/** libvirt runs its own dnsmasq for each network's DHCP, DNS and TFTP. */
export const DNSMASQ = '/usr/sbin/dnsmasq';

export async function checkDnsmasq(file = DNSMASQ): Promise<void> {
  if (!(await exists(file))) throw new HostError(`${file} is missing`, 'apt-get install dnsmasq-base (or run ./metal-lab setup)');
}

function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}
