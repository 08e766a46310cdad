import { existsSync } from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { knownLabs, LAB_DIR, loadLab, parseLab, resolveLabFile } from '../../../src/spec/lab.js';

test('resolveLabFile maps a short name into the repo lab/ dir and keeps paths', (t) => {
  t.is(LAB_DIR, path.resolve('lab') + path.sep);
  t.is(resolveLabFile('mini'), path.resolve('lab/mini.yaml'));
  t.true(existsSync(resolveLabFile('talk')));
  t.is(resolveLabFile('test/fixtures/labs/duplicate-mac.yaml'), path.resolve('test/fixtures/labs/duplicate-mac.yaml'));
  t.is(resolveLabFile('/tmp/x.yaml'), '/tmp/x.yaml');
});

test('knownLabs lists the shipped lab files', async (t) => {
  const labs = await knownLabs();
  t.true(labs.includes('mini') && labs.includes('talk'), labs.join(','));
});

test('lab/mini.yaml: two small nodes on ml-mini0', async (t) => {
  const lab = await loadLab('mini');
  t.is(lab.id, 'mini');
  t.is(lab.file, path.resolve('lab/mini.yaml'));
  t.deepEqual(lab.network, {
    bridge: 'ml-mini0',
    subnet: '172.19.0.0/24',
    gateway: '172.19.0.1',
    prefix: 24,
    dhcpRange: { start: '172.19.0.50', end: '172.19.0.99' },
    nat: false,
    domain: 'example.com',
  });
  t.deepEqual(lab.bootServer, { address: '172.19.0.1', port: 8080, strict: true });
  t.is(lab.accelerator, 'auto');
  t.deepEqual(lab.nodes, [
    { name: 'node1', role: 'controller', mac: '52:54:00:a1:9c:ae', ip: '172.19.0.21', memoryMiB: 512, vcpus: 1, diskGiB: 4, firmware: 'bios' },
    { name: 'node2', role: 'worker', mac: '52:54:00:b2:2f:86', ip: '172.19.0.22', memoryMiB: 512, vcpus: 1, diskGiB: 4, firmware: 'bios' },
  ]);
  t.deepEqual(lab.dns, [
    { name: 'matchbox.example.com', ip: '172.19.0.1' },
    { name: 'cluster.example.com', ip: '172.19.0.21' },
    { name: 'node1.example.com', ip: '172.19.0.21' },
    { name: 'node2.example.com', ip: '172.19.0.22' },
  ]);
});

test('lab/talk.yaml: the talk cluster on the Matchbox MAC plan', async (t) => {
  const lab = await loadLab(path.resolve('lab/talk.yaml'));
  t.is(lab.id, 'talk');
  t.is(lab.network.bridge, 'metal0');
  t.is(lab.network.subnet, '172.18.0.0/24');
  t.is(lab.bootServer.address, '172.18.0.1');
  t.deepEqual(
    lab.nodes.map((n) => `${n.name} ${n.role} ${n.mac} ${n.ip}`),
    [
      'node1 controller 52:54:00:a1:9c:ae 172.18.0.21',
      'node2 controller 52:54:00:b2:2f:86 172.18.0.22',
      'node3 controller 52:54:00:c3:61:77 172.18.0.23',
      'node4 worker 52:54:00:d7:99:c7 172.18.0.24',
      'node5 worker 52:54:00:e8:43:1a 172.18.0.25',
      'node6 worker 52:54:00:f9:b5:2d 172.18.0.26',
    ],
  );
  t.true(lab.nodes.every((n) => n.memoryMiB === 2048 && n.vcpus === 2));
  const dns = Object.fromEntries(lab.dns.map((d) => [d.name, d.ip]));
  t.is(dns['matchbox.example.com'], lab.network.gateway);
  t.is(dns['node6.example.com'], '172.18.0.26');
  t.is(lab.kubernetes?.apiName, 'cluster.example.com');
  t.deepEqual(lab.dns.filter((d) => d.name === 'cluster.example.com').map((d) => d.ip), ['172.18.0.21', '172.18.0.22', '172.18.0.23']);
  t.is(lab.dns.length, 1 + 6 + 3);
});

test('lab/update.yaml: one controller and two workers on ml-upd0, whose reboots the update operator coordinates', async (t) => {
  const lab = await loadLab('update');
  t.is(lab.id, 'update');
  t.is(lab.network.bridge, 'ml-upd0');
  t.is(lab.network.subnet, '172.25.0.0/24');
  t.deepEqual(
    lab.nodes.map((n) => `${n.name} ${n.role} ${n.mac} ${n.ip} ${n.memoryMiB} ${n.vcpus}`),
    [
      'node1 controller 52:54:00:5c:25:21 172.25.0.21 3072 2',
      'node2 worker 52:54:00:6d:25:22 172.25.0.22 1536 1',
      'node3 worker 52:54:00:7e:25:23 172.25.0.23 1536 1',
    ],
  );
  t.deepEqual(lab.kubernetes, { version: 'v1.20.2', apiName: 'cluster.example.com' });
  t.deepEqual(lab.updates, { channel: 'stable', beforeRebootAnnotations: [], afterRebootAnnotations: [] });
});

test('every shipped lab loads, each with its own id, bridge and subnet (two can be up at once)', async (t) => {
  const labs = await Promise.all((await knownLabs()).map((name) => loadLab(name)));
  t.true(labs.length >= 5);
  for (const key of ['id', 'bridge', 'subnet'] as const) {
    const values = labs.map((l) => (key === 'id' ? l.id : l.network[key]));
    t.is(new Set(values).size, values.length, `${key}: ${values.join(', ')}`);
  }
});

const MINIMAL = `id: small
network: { bridge: ml-small0, subnet: 192.168.77.0/26, domain: lab.test }
nodes:
  - { name: a, role: worker, mac: 52-54-00-AB-CD-EF, ip: 192.168.77.10, memory: 768, firmware: uefi }
`;

test('defaults fill what a minimal file leaves out, and MACs are normalised', (t) => {
  const lab = parseLab(MINIMAL, 'small.yaml');
  t.is(lab.file, path.resolve('small.yaml'));
  t.is(lab.accelerator, 'auto');
  t.false(lab.network.nat);
  t.is(lab.network.gateway, '192.168.77.1');
  t.is(lab.network.prefix, 26);
  // A /26 cannot hold .50-.99: the upper half of its hosts is the pool instead.
  t.deepEqual(lab.network.dhcpRange, { start: '192.168.77.32', end: '192.168.77.62' });
  t.deepEqual(lab.bootServer, { address: '192.168.77.1', port: 8080 });
  t.deepEqual(lab.nodes[0], {
    name: 'a', role: 'worker', mac: '52:54:00:ab:cd:ef', ip: '192.168.77.10', memoryMiB: 768, vcpus: 1, diskGiB: 10, firmware: 'uefi',
  });
  t.deepEqual(lab.dns, [{ name: 'a.lab.test', ip: '192.168.77.10' }]);
});

test('defaults: block applies to nodes that do not override it', (t) => {
  const text = `${MINIMAL}  - { name: b, role: controller, mac: "52:54:00:00:00:0b", ip: 192.168.77.11 }
defaults: { memory: 1024, vcpus: 2, disk: 6 }
`;
  const lab = parseLab(text, 'small.yaml');
  t.deepEqual(
    lab.nodes.map((n) => [n.name, n.memoryMiB, n.vcpus, n.diskGiB, n.firmware]),
    [['a', 768, 2, 6, 'uefi'], ['b', 1024, 2, 6, 'bios']],
  );
});

test('an explicit bootServer.address equal to the gateway, NAT and a custom port are kept', (t) => {
  const lab = parseLab(`${MINIMAL}bootServer: { address: 192.168.77.1, port: 9090 }\n`.replace('domain: lab.test', 'domain: lab.test, nat: true'), 's.yaml');
  t.deepEqual(lab.bootServer, { address: '192.168.77.1', port: 9090 });
  t.true(lab.network.nat);
});
