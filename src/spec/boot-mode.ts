import { SpecError } from '../errors.js';
import type { BootMode } from '../ground/lab-model.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { displayPath } from './lab.js';

/**
 * Rules between a lab and the boot mode it comes up in (`up --boot`, a scenario's `up` step),
 * checked before anything runs. The installer writes a BIOS boot loader (syslinux MBR +
 * extlinux): OVMF would not boot the disk and fall back to PXE, reinstalling forever.
 */
export function checkBootMode(lab: LabSpec, boot: BootMode): void {
  const file = displayPath(lab.file);
  const uefi = lab.nodes.findIndex((n) => n.firmware === 'uefi');
  if (boot === 'install' && uefi >= 0) {
    const node = lab.nodes[uefi]!;
    throw new SpecError(file, `nodes[${uefi}].firmware`, `${node.name} boots UEFI, and installing to disk supports BIOS nodes only so far`, `set firmware: bios for it in ${file}`);
  }
  if (lab.kubernetes && boot !== 'install') {
    throw new SpecError(file, 'kubernetes', `lab ${lab.id} runs Kubernetes, which needs labos installed on the nodes' disks`, 'bring it up with --boot install (or a scenario step `up: { boot: install }`)');
  }
}
