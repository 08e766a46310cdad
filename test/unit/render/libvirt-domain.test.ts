import test from 'ava';
import { labIdFromXml } from '../../../src/libvirt/metadata.js';
import { renderDomainXml, TB_CACHE_MIB } from '../../../src/render/libvirt-domain.js';
import { LAB_XMLNS, labObjectNames, type Accel, type NodeSpec } from '../../../src/ground/lab-spec.js';
import { miniLab, miniPaths } from '../../support/mini-lab.js';
import { all, one, parseXml, type El } from '../../support/xml-query.js';

const lab = miniLab();
const [bios, uefi] = lab.nodes as [NodeSpec, NodeSpec];
const renderXml = (node: NodeSpec, accel: Accel) =>
  renderDomainXml(lab, node, { accel, consoleLog: miniPaths.console(node.name) });
const render = (node: NodeSpec, accel: Accel) => parseXml(renderXml(node, accel));
const attrs = (el: El, ...names: string[]) => names.map((n) => el.getAttribute(n));

test('TCG: domain type qemu with the maximum CPU model and a bounded translation cache', (t) => {
  const dom = render(bios, 'tcg');
  t.is(dom.getAttribute('type'), 'qemu');
  t.deepEqual(attrs(one(dom, 'cpu'), 'mode', 'check'), ['maximum', 'none']);
  const cache = one(one(one(dom, 'features'), 'tcg'), 'tb-cache');
  t.deepEqual([cache.getAttribute('unit'), cache.textContent], ['MiB', String(TB_CACHE_MIB)]);
});

test('KVM: domain type kvm with host-passthrough, and no TCG settings', (t) => {
  const dom = render(bios, 'kvm');
  t.is(dom.getAttribute('type'), 'kvm');
  t.is(one(dom, 'cpu').getAttribute('mode'), 'host-passthrough');
  t.is(all(dom, 'tcg').length, 0);
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
