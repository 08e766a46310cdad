import fs from 'node:fs/promises';
import path from 'node:path';
import { create } from 'xmlbuilder2';
import { virsh } from '../../../src/libvirt/virsh.js';
import { renderDomainXml } from '../../../src/render/libvirt-domain.js';
import type { NodeSpec } from '../../../src/ground/lab-spec.js';
import { miniLab, miniPaths } from '../../support/mini-lab.js';
import { libvirtd, needs, packageFile, qemu, virsh as virshTool } from '../../support/needs.js';
import { tempDir } from '../../support/temp-dir.js';

const lab = miniLab();
const uefi = lab.nodes[1] as NodeSpec;

/**
 * The emulator command line libvirt would run, without defining or starting anything. Its
 * converter needs a real disk file and no libvirt network, so only those two devices are
 * swapped for stand-ins; <os>, <cpu> and the other devices go through exactly as rendered.
 */
async function qemuArgv(xml: string, dir: string): Promise<string> {
  const doc = create(xml);
  const swap = (name: string, replacement: string) => {
    const el = doc.root().find((n) => n.node.nodeName === name, false, true);
    if (!el) throw new Error(`no <${name}>`);
    const parent = el.up();
    el.remove();
    parent.import(create(replacement).root());
  };
  swap('disk', `<disk type="file" device="disk"><driver name="qemu" type="qcow2"/><source file="${dir}/vda.qcow2"/><target dev="vda" bus="virtio"/><boot order="1"/></disk>`);
  swap('interface', '<interface type="user"><model type="virtio"/></interface>');
  const file = path.join(dir, 'domain.xml');
  await fs.writeFile(file, doc.end());
  // Generous: when libvirt finds KVM state changed since its last probe it re-probes QEMU first.
  return (await virsh(['domxml-to-native', 'qemu-argv', file], { timeoutMs: 300_000 })).stdout;
}

const withLibvirt = needs(virshTool, libvirtd, qemu, packageFile('/usr/share/OVMF/OVMF_CODE_4M.fd', 'ovmf'));

withLibvirt('libvirt turns a UEFI TCG node into OVMF without secure boot, -cpu max, disk boot first', async (t) => {
  const xml = renderDomainXml(lab, uefi, { accel: 'tcg', consoleLog: miniPaths.console(uefi.name) });
  const argv = await qemuArgv(xml, await tempDir(t, 'ml-render-'));
  // Debian's ovmf descriptors: the plain build is OVMF_CODE_4M.fd, secure ones are *.secboot.fd / *.ms.fd.
  t.regex(argv, /"filename":"\/usr\/share\/OVMF\/OVMF_CODE_4M\.fd"/);
  t.notRegex(argv, /secboot|\.ms\.fd|smm=on/);
  t.regex(argv, /-machine pc-q35-/);
  t.regex(argv, /-accel tcg/);
  t.regex(argv, /-cpu max\b/);
  t.regex(argv, /"drive":"libvirt-\d+-format"[^}]*"bootindex":1/);
  t.regex(argv, /logfile=\/var\/lib\/metal-lab\/labs\/mini\/console\/node2\.log,logappend=off/);
  t.regex(argv, /"driver":"virtio-rng-pci"/);
});
