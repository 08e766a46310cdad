import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { create } from 'xmlbuilder2';
import { labIdFromXml } from '../../../src/libvirt/metadata.js';
import { virsh } from '../../../src/libvirt/virsh.js';
import { renderDomainXml } from '../../../src/render/libvirt-domain.js';
import { LAB_XMLNS, labObjectNames, type Accel, type NodeSpec } from '../../../src/ground/lab-spec.js';
import { miniLab, miniPaths } from './fixtures.js';
import { libvirtTest } from '../../support/libvirt.js';
import { all, one, parseXml, type El } from './xml-query.js';

const withLibvirt = await libvirtTest('libvirt-domain');

const lab = miniLab();
const [bios, uefi] = lab.nodes as [NodeSpec, NodeSpec];
const renderXml = (node: NodeSpec, accel: Accel) =>
  renderDomainXml(lab, node, { accel, consoleLog: miniPaths.console(node.name) });
const render = (node: NodeSpec, accel: Accel) => parseXml(renderXml(node, accel));
const attrs = (el: El, ...names: string[]) => names.map((n) => el.getAttribute(n));

test('TCG: domain type qemu with the maximum CPU model', (t) => {
  const dom = render(bios, 'tcg');
  t.is(dom.getAttribute('type'), 'qemu');
  t.deepEqual(attrs(one(dom, 'cpu'), 'mode', 'check'), ['maximum', 'none']);
});

test('KVM: domain type kvm with host-passthrough', (t) => {
  const dom = render(bios, 'kvm');
  t.is(dom.getAttribute('type'), 'kvm');
  t.is(one(dom, 'cpu').getAttribute('mode'), 'host-passthrough');
});

test('name, size and description come from the lab and node', (t) => {
  for (const node of lab.nodes) {
    const dom = render(node, 'tcg');
    t.is(one(dom, 'name').textContent, labObjectNames(lab).domain(node.name));
    t.deepEqual([one(dom, 'memory').getAttribute('unit'), one(dom, 'memory').textContent], ['MiB', String(node.memoryMiB)]);
    t.is(one(dom, 'vcpu').textContent, String(node.vcpus));
    t.true(one(dom, 'description').textContent?.includes(lab.id));
  }
});

test('metadata tags the domain with lab id, node name and role', (t) => {
  for (const node of lab.nodes) {
    const tag = one(render(node, 'tcg'), 'ml:lab');
    t.deepEqual(attrs(tag, 'xmlns:ml', 'id', 'node', 'role'), [LAB_XMLNS, 'mini', node.name, node.role]);
    t.is(labIdFromXml(renderXml(node, 'tcg')), 'mini');
  }
});

test('BIOS nodes get i440fx, no firmware selection, and SeaBIOS on the serial console', (t) => {
  const os = one(render(bios, 'tcg'), 'os');
  t.is(os.getAttribute('firmware'), null);
  t.is(one(os, 'type').getAttribute('machine'), 'pc');
  t.is(all(os, 'firmware').length, 0);
  t.is(one(os, 'bios').getAttribute('useserial'), 'yes');
});

test('UEFI nodes get q35, firmware=efi and secure boot off', (t) => {
  const os = one(render(uefi, 'tcg'), 'os');
  t.is(os.getAttribute('firmware'), 'efi');
  t.is(one(os, 'type').getAttribute('machine'), 'q35');
  t.deepEqual(attrs(one(os, 'feature'), 'name', 'enabled'), ['secure-boot', 'no']);
});

test('boot order is per device: disk 1, network 2, and no <os><boot dev>', (t) => {
  for (const node of lab.nodes) {
    const dom = render(node, 'tcg');
    t.is(all(one(dom, 'os'), 'boot').length, 0);
    t.is(one(one(dom, 'disk'), 'boot').getAttribute('order'), '1');
    t.is(one(one(dom, 'interface'), 'boot').getAttribute('order'), '2');
  }
});

test('disk is the node qcow2 volume from the lab pool on virtio vda', (t) => {
  const names = labObjectNames(lab);
  const disk = one(render(uefi, 'tcg'), 'disk');
  t.deepEqual(attrs(disk, 'type', 'device'), ['volume', 'disk']);
  t.deepEqual(attrs(one(disk, 'source'), 'pool', 'volume'), [names.pool, names.volume(uefi.name)]);
  t.deepEqual(attrs(one(disk, 'driver'), 'name', 'type'), ['qemu', 'qcow2']);
  t.deepEqual(attrs(one(disk, 'target'), 'dev', 'bus'), ['vda', 'virtio']);
});

test('NIC: virtio on the lab network with the node fixed MAC', (t) => {
  for (const node of lab.nodes) {
    const nic = one(render(node, 'tcg'), 'interface');
    t.is(nic.getAttribute('type'), 'network');
    t.is(one(nic, 'mac').getAttribute('address'), node.mac);
    t.is(one(nic, 'source').getAttribute('network'), labObjectNames(lab).network);
    t.is(one(nic, 'model').getAttribute('type'), 'virtio');
  }
});

test('serial console logs to the given file; the console is that serial port', (t) => {
  const dom = render(bios, 'tcg');
  const serial = one(dom, 'serial');
  t.is(serial.getAttribute('type'), 'pty');
  t.deepEqual(attrs(one(serial, 'log'), 'file', 'append'), [miniPaths.console('node1'), 'off']);
  const console = one(dom, 'console');
  t.is(console.getAttribute('type'), 'pty');
  t.is(one(console, 'target').getAttribute('type'), 'serial');
});

test('virtio RNG from /dev/urandom, lifecycle actions, lean device list', (t) => {
  const dom = render(bios, 'tcg');
  const rng = one(dom, 'rng');
  t.is(rng.getAttribute('model'), 'virtio');
  t.is(one(rng, 'backend').textContent, '/dev/urandom');
  t.deepEqual(
    ['on_poweroff', 'on_reboot', 'on_crash'].map((e) => one(dom, e).textContent),
    ['destroy', 'restart', 'destroy'],
  );
  t.is(one(dom, 'memballoon').getAttribute('model'), 'none');
  t.is(all(dom, 'graphics').length, 0);
});

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

withLibvirt('libvirt turns a UEFI TCG node into OVMF without secure boot, -cpu max, disk boot first', async (t) => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ml-render-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const argv = await qemuArgv(renderXml(uefi, 'tcg'), dir);
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
