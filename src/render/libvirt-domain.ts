import { labObjectNames, type Accel, type LabSpec, type NodeSpec } from '../ground/lab-spec.js';
import { addLabMetadata, serialize, xmlRoot, type XmlElement } from './libvirt-xml.js';

export interface DomainContext {
  accel: Accel;
  /** Absolute path of the node's serial console log (libvirt requires an absolute path). */
  consoleLog: string;
}

/**
 * The translation cache a TCG guest gets: room for the hot code of a kernel, etcd, containerd and
 * the Kubernetes binaries, and QEMU's own RSS stays within 300 MiB of the guest's memory.
 */
export const TB_CACHE_MIB = 192;

/** What a TCG guest's QEMU holds beyond the guest's memory: the cache and QEMU itself (262-277 MiB measured). */
export const TCG_GUEST_OVERHEAD_MIB = TB_CACHE_MIB + 96;

/** i440fx is the plainest BIOS machine; q35 is what OVMF's descriptors and UEFI guests expect. */
function addOs(dom: XmlElement, node: NodeSpec): void {
  if (node.firmware === 'bios') {
    const os = dom.ele('os');
    os.ele('type', { arch: 'x86_64', machine: 'pc' }).txt('hvm');
    // SeaBIOS's serial console: the firmware's and iPXE's own output (DHCP, each HTTP fetch)
    // lands in the console log, the first evidence to read when a node never boots.
    os.ele('bios', { useserial: 'yes' });
    return;
  }
  // firmware='efi' lets libvirt pick OVMF from /usr/share/qemu/firmware; asking for no secure boot
  // selects the plain OVMF_CODE build, which needs no SMM and boots our unsigned iPXE and kernels.
  const os = dom.ele('os', { firmware: 'efi' });
  os.ele('type', { arch: 'x86_64', machine: 'q35' }).txt('hvm');
  os.ele('firmware').ele('feature', { enabled: 'no', name: 'secure-boot' });
}

/**
 * One lab node as a libvirt domain: disk first then network in the boot order, so a blank disk
 * falls through to PXE and an installed disk boots itself (no reinstall loop).
 */
export function renderDomainXml(lab: LabSpec, node: NodeSpec, ctx: DomainContext): string {
  const names = labObjectNames(lab);
  const dom = xmlRoot('domain', { type: ctx.accel === 'kvm' ? 'kvm' : 'qemu' });
  dom.ele('name').txt(names.domain(node.name));
  dom.ele('description').txt(`metal-lab lab ${lab.id} (${lab.file}): ${node.role} ${node.name}`);
  addLabMetadata(dom, lab, { node: node.name, role: node.role });
  dom.ele('memory', { unit: 'MiB' }).txt(String(node.memoryMiB));
  dom.ele('vcpu').txt(String(node.vcpus));
  addOs(dom, node);
  // ACPI so `virsh shutdown` reaches the guest as a power-button press.
  const features = dom.ele('features');
  features.ele('acpi').up().ele('apic');
  // QEMU's TCG keeps 1 GiB of translated code by default, resident on top of the guest's memory.
  if (ctx.accel === 'tcg') features.ele('tcg').ele('tb-cache', { unit: 'MiB' }).txt(String(TB_CACHE_MIB));
  // TCG's default CPU model lacks RDRAND, which guest kernels and Go programs wait on for entropy.
  dom.ele('cpu', { mode: ctx.accel === 'kvm' ? 'host-passthrough' : 'maximum', check: 'none' });
  dom.ele('on_poweroff').txt('destroy');
  dom.ele('on_reboot').txt('restart');
  dom.ele('on_crash').txt('destroy');

  const devices = dom.ele('devices');
  const disk = devices.ele('disk', { type: 'volume', device: 'disk' });
  // The format must be stated: libvirt would otherwise treat the volume as raw.
  disk.ele('driver', { name: 'qemu', type: 'qcow2' });
  disk.ele('source', { pool: names.pool, volume: names.volume(node.name) });
  disk.ele('target', { dev: 'vda', bus: 'virtio' });
  disk.ele('boot', { order: '1' });

  const nic = devices.ele('interface', { type: 'network' });
  nic.ele('mac', { address: node.mac });
  nic.ele('source', { network: names.network });
  nic.ele('model', { type: 'virtio' });
  nic.ele('boot', { order: '2' });

  const serial = devices.ele('serial', { type: 'pty' });
  serial.ele('log', { file: ctx.consoleLog, append: 'off' });
  serial.ele('target', { port: '0' });
  // The console aliases the first serial port, so `virsh console` attaches to the same stream.
  devices.ele('console', { type: 'pty' }).ele('target', { type: 'serial', port: '0' });

  devices.ele('rng', { model: 'virtio' }).ele('backend', { model: 'random' }).txt('/dev/urandom');
  // Nothing in the lab uses USB or ballooning; fewer emulated devices is less work under TCG.
  devices.ele('controller', { type: 'usb', model: 'none' });
  devices.ele('memballoon', { model: 'none' });
  return serialize(dom);
}
