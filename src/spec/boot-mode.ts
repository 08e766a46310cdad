import { SpecError } from '../errors.js';
import type { BootMode } from '../ground/lab-model.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { displayPath } from './spec-file.js';

/**
 * Rules between a lab and the boot mode it comes up in (`up --boot`, a scenario's `up` step),
 * checked before anything runs. The installer writes a BIOS boot loader (GRUB's i386-pc MBR):
 * OVMF would not boot the disk and fall back to PXE, reinstalling forever.
 */
/** Two 1280 MiB /usr slots and at least 1 GiB of root: src/images/labos/install.sh's layout. */
export const INSTALL_DISK_GIB = 4;

export function checkBootMode(lab: LabSpec, boot: BootMode): void {
  const file = displayPath(lab.file);
  const uefi = lab.nodes.findIndex((n) => n.firmware === 'uefi');
  if (boot === 'install' && uefi >= 0) {
    const node = lab.nodes[uefi]!;
    throw new SpecError(file, `nodes[${uefi}].firmware`, `${node.name} boots UEFI, and installing to disk supports BIOS nodes only so far`, `set firmware: bios for it in ${file}`);
  }
  const small = lab.nodes.findIndex((n) => n.diskGiB < INSTALL_DISK_GIB);
  if (boot === 'install' && small >= 0) {
    const node = lab.nodes[small]!;
    throw new SpecError(file, `nodes[${small}].disk`, `${node.name} has a ${node.diskGiB} GiB disk, and installed labos needs ${INSTALL_DISK_GIB} GiB (two /usr slots and a root)`, `set disk: ${INSTALL_DISK_GIB} or more for it in ${file}`);
  }
  const needsDisk = lab.kubernetes ? 'kubernetes' : lab.updates ? 'updates' : undefined;
  if (needsDisk && boot !== 'install') {
    const what = needsDisk === 'kubernetes' ? 'runs Kubernetes' : 'updates its nodes A/B';
    throw new SpecError(file, needsDisk, `lab ${lab.id} ${what}, which needs labos installed on the nodes' disks`, 'bring it up with --boot install (or a scenario step `up: { boot: install }`)');
  }
}
