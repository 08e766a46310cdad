import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { SpecError } from '../../../src/errors.js';
import { loadLab } from '../../../src/spec/lab.js';
import { LabFileSchema } from '../../../src/spec/lab-schema.js';
import { assertNames, edit, LAB, refusedLine, type BadCase } from '../../support/bad-input.js';
import { schemaFields } from '../../support/schema-fields.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * `metal-lab up` of a lab file with one wrong value, for every field of the format: one line
 * naming the file and the field, exit 2, nothing created. Each case is refused by the load
 * in-process first, so a case that the load would accept never reaches the command (which would
 * set up the host and bring a lab up).
 */

const lab = (from: string, to: string) => edit(LAB, from, to);
const NODE2 = '  - { name: node2, role: worker, mac: "52:54:00:00:00:02", ip: 10.77.0.11 }';
const node2 = (from: string, to: string) => lab(NODE2, edit(NODE2, from, to));
const many = (n: number) =>
  Array.from({ length: n }, (_, i) => `  - { name: n${i}, role: ${i ? 'worker' : 'controller'}, mac: "52:54:00:00:01:${i.toString(16).padStart(2, '0')}", ip: 10.77.0.${100 + i} }`).join('\n');

const CASES: BadCase[] = [
  { field: 'id', title: 'an id that is no name', text: lab('id: bad', 'id: Bad_1'), at: 'id', problem: /^"Bad_1" is not a valid lab id \(line 1, col 5\)\. Fix: use a lower-case letter/ },
  { field: 'accelerator', title: 'an accelerator that is none', text: lab('accelerator: auto', 'accelerator: kvmm'), at: 'accelerator', problem: /^"kvmm" is not one of auto, kvm, tcg .*Fix: did you mean "kvm"\?$/ },
  { field: 'network', title: 'a network that is a list', text: lab(LAB.slice(LAB.indexOf('network:'), LAB.indexOf('bootServer:')), 'network: [a]\n'), at: 'network', problem: /^expected a mapping, got a list .*Fix: use a mapping with bridge and subnet$/ },
  { field: 'network.bridge', title: 'a bridge name with a slash', text: lab('bridge: ml-bad0', 'bridge: ml/bad'), at: 'network.bridge', problem: /^"ml\/bad" is not a valid bridge name/ },
  { field: 'network.bridge', title: 'a bridge named .', text: lab('bridge: ml-bad0', 'bridge: "."'), at: 'network.bridge', problem: /^"\." is not a valid bridge name .*not "\." or "\.\."/ },
  { field: 'network.subnet', title: 'a subnet that is no CIDR', text: lab('subnet: 10.77.0.0/24', 'subnet: 10.77.0.0/33'), at: 'network.subnet', problem: /^"10\.77\.0\.0\/33" is not an IPv4 CIDR/ },
  { field: 'network.domain', title: 'a domain that is no DNS name', text: lab('domain: example.com', 'domain: Example_COM'), at: 'network.domain', problem: /^"Example_COM" is not a valid DNS name/ },
  { field: 'network.nat', title: 'nat as a word', text: lab('nat: false', 'nat: "no"'), at: 'network.nat', problem: /^expected a boolean, got string "no" .*Fix: use true or false$/ },
  { field: 'network.dhcpRange', title: 'a DHCP range as a list', text: lab('dhcpRange: { start: 10.77.0.50, end: 10.77.0.99 }', 'dhcpRange: [10.77.0.50, 10.77.0.99]'), at: 'network.dhcpRange', problem: /^expected a mapping, got a list/ },
  { field: 'network.dhcpRange.start', title: 'a DHCP range starting outside the subnet', text: lab('start: 10.77.0.50', 'start: 10.78.0.50'), at: 'network.dhcpRange.start', problem: /^10\.78\.0\.50 is outside network\.subnet 10\.77\.0\.0\/24/ },
  { field: 'network.dhcpRange.end', title: 'a DHCP range ending on no address', text: lab('end: 10.77.0.99', 'end: ten'), at: 'network.dhcpRange.end', problem: /^"ten" is not an IPv4 address/ },
  { field: 'bootServer', title: 'a boot server that is a port', text: lab('bootServer: { port: 8080 }', 'bootServer: 8080'), at: 'bootServer', problem: /^expected a mapping, got number 8080 .*Fix: use a mapping such as \{ port: 8080 \}$/ },
  { field: 'bootServer.address', title: 'a boot server off the gateway', text: lab('bootServer: { port: 8080 }', 'bootServer: { address: 10.77.0.2 }'), at: 'bootServer.address', problem: /^10\.77\.0\.2 is not the gateway 10\.77\.0\.1/ },
  { field: 'bootServer.port', title: 'the boot server on SSH\'s port', text: lab('port: 8080', 'port: 22'), at: 'bootServer.port', problem: /^22 is a well-known port, where the host's own services listen \(SSH on 22\)/ },
  { field: 'bootServer.port', title: 'the boot server on the lab\'s own DNS', text: lab('port: 8080', 'port: 53'), at: 'bootServer.port', problem: /^53 is DNS, which the lab's own dnsmasq answers on the bridge address/ },
  { field: 'bootServer.strict', title: 'a strict boot server of yes', text: lab('bootServer: { port: 8080 }', 'bootServer: { port: 8080, strict: "yes" }'), at: 'bootServer.strict', problem: /^expected a boolean, got string "yes" .*Fix: use true \(each node alone reads its Ignition config and metadata\) or false$/ },
  { field: 'bootServer.port', title: 'a port beyond TCP\'s', text: lab('port: 8080', 'port: 80800'), at: 'bootServer.port', problem: /^80800 is out of range .*Fix: use at most 65535$/ },
  { field: 'dns', title: 'a DNS name that is none', text: lab('api.example.com: 10.77.0.10', 'API_server: 10.77.0.10'), at: 'dns.API_server', problem: /^"API_server" is not a valid DNS name/ },
  { field: 'dns', title: 'a DNS address that is none', text: lab('api.example.com: 10.77.0.10', 'api.example.com: nowhere'), at: 'dns["api.example.com"]', problem: /^"nowhere" is not an IPv4 address/ },
  { field: 'kubernetes', title: 'kubernetes: true', text: lab('kubernetes: { version: v1.20.2, apiName: cluster.example.com }', 'kubernetes: true'), at: 'kubernetes', problem: /^expected a mapping, got boolean true/ },
  { field: 'kubernetes.version', title: 'a Kubernetes version Debian\'s source does not build', text: lab('version: v1.20.2', 'version: v1.29.0'), at: 'kubernetes.version', problem: /^v1\.29\.0 is not the version metal-lab builds: Kubernetes comes from Debian's source package, which is v1\.20\.2 .*Fix: set version: v1\.20\.2, or leave version out$/ },
  { field: 'kubernetes.apiName', title: 'an API name that is no DNS name', text: lab('apiName: cluster.example.com', 'apiName: "https://cluster"'), at: 'kubernetes.apiName', problem: /^"https:\/\/cluster" is not a valid DNS name/ },
  { field: 'kubernetes.apiName', title: 'an API name that is a node\'s own', text: lab('apiName: cluster.example.com', 'apiName: node2.example.com'), at: 'kubernetes.apiName', problem: /^node2\.example\.com is node node2's own name, and the API name resolves to every controller .*Fix: set kubernetes\.apiName to a name of its own/ },
  { field: 'dns', title: 'the API name in dns', text: lab('api.example.com: 10.77.0.10', 'cluster.example.com: 10.77.0.10'), at: 'dns["cluster.example.com"]', problem: /^cluster\.example\.com is the API name, which resolves to every controller .*Fix: remove it from dns/ },
  { field: 'bootServer.port', title: 'the boot server on the API front door\'s port', text: lab('port: 8080', 'port: 6443'), at: 'bootServer.port', problem: /^6443 is where the lab's API front door listens on the bridge address .*Fix: use 8080/ },
  { field: 'updates', title: 'updates as a channel name', text: lab(LAB.slice(LAB.indexOf('updates:'), LAB.indexOf('defaults:')), 'updates: stable\n'), at: 'updates', problem: /^expected a mapping, got string "stable"/ },
  { field: 'updates.channel', title: 'a channel in capitals', text: lab('channel: stable', 'channel: Stable'), at: 'updates.channel', problem: /^"Stable" is not a valid update channel/ },
  { field: 'updates.rebootWindow', title: 'a reboot window as a time', text: lab('rebootWindow: { start: "Sat 02:00", length: 2h }', 'rebootWindow: "Sat 02:00"'), at: 'updates.rebootWindow', problem: /^expected a mapping, got string "Sat 02:00"/ },
  { field: 'updates.rebootWindow.start', title: 'a reboot window on no day', text: lab('start: "Sat 02:00"', 'start: "Caturday 02:00"'), at: 'updates.rebootWindow.start', problem: /Caturday/ },
  { field: 'updates.rebootWindow.length', title: 'a reboot window of no length', text: lab('length: 2h', 'length: forever'), at: 'updates.rebootWindow.length', problem: /forever/ },
  { field: 'updates.beforeRebootAnnotations', title: 'an annotation key with a space', text: lab('[example.com/drained]', '[example.com/drained now]'), at: 'updates.beforeRebootAnnotations[0]', problem: /^"example\.com\/drained now" is not a valid node annotation key/ },
  { field: 'updates.afterRebootAnnotations', title: 'annotations as one string', text: lab('afterRebootAnnotations: [example.com/healthy]', 'afterRebootAnnotations: example.com/healthy'), at: 'updates.afterRebootAnnotations', problem: /^expected a list, got string "example\.com\/healthy"/ },
  { field: 'defaults', title: 'defaults as a list', text: lab('defaults: { memory: 512, vcpus: 1, disk: 4, firmware: bios }', 'defaults: [512]'), at: 'defaults', problem: /^expected a mapping, got a list/ },
  { field: 'defaults.memory', title: 'too little memory', text: lab('memory: 512,', 'memory: 64,'), at: 'defaults.memory', problem: /^64 is out of range .*Fix: use at least 128$/ },
  { field: 'defaults.memory', title: 'memory past the safe integers', text: lab('memory: 512,', 'memory: 1e20,'), at: 'defaults.memory', problem: /^100000000000000000000 is out of range .*Fix: use at most 1048576$/ },
  { field: 'defaults.vcpus', title: 'no vCPU', text: lab('vcpus: 1, disk: 4, firmware: bios }\nnodes', 'vcpus: 0, disk: 4, firmware: bios }\nnodes'), at: 'defaults.vcpus', problem: /^0 is out of range/ },
  { field: 'defaults.disk', title: 'a disk size with a unit', text: lab('disk: 4, firmware: bios }\nnodes', 'disk: 4G, firmware: bios }\nnodes'), at: 'defaults.disk', problem: /^expected a number, got string "4G" .*Fix: use disk size in GiB, such as 10$/ },
  { field: 'defaults.firmware', title: 'firmware that is none', text: lab('firmware: bios }\nnodes', 'firmware: efi }\nnodes'), at: 'defaults.firmware', problem: /^"efi" is not one of bios, uefi/ },
  { field: 'nodes', title: 'nodes as a mapping', text: `${LAB.split('nodes:')[0]}nodes: { node1: {} }\n`, at: 'nodes', problem: /^expected a list, got a mapping/ },
  { field: 'nodes', title: 'more nodes than one host runs', text: `${LAB.split('nodes:')[0]}nodes:\n${many(65)}\n`, at: 'nodes', problem: /^65 nodes, and a lab has at most 64: each is a VM on this one host .*Fix: use at most 64 nodes$/ },
  { field: 'nodes', title: 'an unknown field in a node', text: node2('ip: 10.77.0.11', 'ip: 10.77.0.11, mca: x'), at: 'nodes[1].mca', problem: /^unknown field "mca" .*Fix: did you mean "mac"\?$/ },
  { field: 'nodes[].name', title: 'a node name in capitals', text: node2('name: node2', 'name: Node2'), at: 'nodes[1].name', problem: /^"Node2" is not a valid node name/ },
  { field: 'nodes[].name', title: 'a node name taken', text: node2('name: node2', 'name: node1'), at: 'nodes[1].name', problem: /^node1 is already used by nodes\[0\] \(node1\)/ },
  { field: 'nodes[].role', title: 'a role that is none', text: node2('role: worker', 'role: master'), at: 'nodes[1].role', problem: /^"master" is not one of controller, worker/ },
  { field: 'nodes[].mac', title: 'the all-zero MAC', text: node2('"52:54:00:00:00:02"', '"00:00:00:00:00:00"'), at: 'nodes[1].mac', problem: /^00:00:00:00:00:00 is the all-zero MAC, which no NIC has/ },
  { field: 'nodes[].mac', title: 'a multicast MAC', text: node2('"52:54:00:00:00:02"', '"01:00:5e:00:00:02"'), at: 'nodes[1].mac', problem: /^01:00:5e:00:00:02 is a multicast MAC/ },
  { field: 'nodes[].ip', title: 'a node on the gateway', text: node2('ip: 10.77.0.11', 'ip: 10.77.0.1'), at: 'nodes[1].ip', problem: /^10\.77\.0\.1 is the gateway/ },
  { field: 'nodes[].memory', title: 'a fraction of a MiB', text: lab('memory: 1024', 'memory: 1.5'), at: 'nodes[0].memory', problem: /^expected a whole number, got number 1\.5/ },
  { field: 'nodes[].memory', title: 'a node of 2 TiB', text: lab('memory: 1024', 'memory: 2097152'), at: 'nodes[0].memory', problem: /^2097152 is out of range .*Fix: use at most 1048576$/ },
  { field: 'nodes[].vcpus', title: 'more vCPUs than QEMU takes here', text: lab('vcpus: 1, disk: 4, firmware: bios }\n  - { name: node2', 'vcpus: 65, disk: 4, firmware: bios }\n  - { name: node2'), at: 'nodes[0].vcpus', problem: /^65 is out of range .*Fix: use at most 64$/ },
  { field: 'nodes[].disk', title: 'no disk', text: lab('disk: 4, firmware: bios }\n  - { name: node2', 'disk: 0, firmware: bios }\n  - { name: node2'), at: 'nodes[0].disk', problem: /^0 is out of range/ },
  { field: 'nodes[].firmware', title: 'a UEFI node in a Kubernetes lab', text: lab('firmware: bios }\n  - { name: node2', 'firmware: uefi }\n  - { name: node2'), at: 'nodes[0].firmware', problem: /^node1 boots UEFI, and a Kubernetes lab installs labos to disk/ },
  { field: '', title: 'an unknown top-level field', text: `${LAB}node:\n  - x\n`, at: 'node', problem: /^unknown field "node" .*Fix: did you mean "nodes"\?$/ },
  { field: '', title: 'an empty file', text: '', at: '', problem: /^the file is empty, not a YAML mapping of fields/ },
  { field: '', title: 'a list for a file', text: '- mini\n', at: '', problem: /^the file holds a list, not a YAML mapping/ },
  { field: '', title: 'a YAML syntax error', text: lab('  - { name: node2,', '  - { name: node2,,'), at: '', problem: /^YAML syntax error at line 21, col \d+/ },
  { field: '', title: 'a "billion laughs"', text: `${LAB}a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n`, at: '', problem: /^its aliases expand into more than 100 copies/ },
  { field: '', title: 'a value too long to tell back', text: lab('id: bad', `id: ${'a'.repeat(2000)}`), at: '', problem: /^a value of 2000 characters at line 1, col 5, longer than any field takes \(1024\)\. Fix: shorten it$/ },
  { field: '', title: 'an alias with no anchor', text: lab('ip: 10.77.0.11', 'ip: *ip'), at: '', problem: /^alias \*ip at line 21, col \d+ has no anchor &ip before it/ },
];

test('the base lab is valid: each case breaks one thing', async (t) => {
  const dir = await tempDir(t);
  await fs.writeFile(path.join(dir, 'lab.yaml'), LAB);
  t.is((await loadLab(path.join(dir, 'lab.yaml'))).nodes.length, 2);
});

test('every field of a lab file has a wrong-value case', (t) => {
  const covered = new Set(CASES.map((c) => c.field));
  t.deepEqual([...new Set(schemaFields(LabFileSchema))].filter((f) => !covered.has(f)), []);
});

for (const c of CASES) {
  test(`up refuses ${c.title} in one line, exit 2, creating nothing`, async (t) => {
    const dir = await tempDir(t);
    const file = path.join(dir, 'lab.yaml');
    await fs.writeFile(file, c.text);
    // The load refuses it in-process first: the command is never run on a lab it would bring up.
    await t.throwsAsync(loadLab(file), { instanceOf: SpecError });
    if (!t.passed) return;
    assertNames(t, await refusedLine(t, dir, ['up', file], ['lab.yaml']), file, c);
  });
}

test('up refuses a lab file it cannot read: a directory, a device, nothing there, a link loop, too big', async (t) => {
  const dir = await tempDir(t);
  await fs.mkdir(path.join(dir, 'labs'));
  await fs.symlink('loop.yaml', path.join(dir, 'loop.yaml'));
  await fs.writeFile(path.join(dir, 'huge.yaml'), '');
  await fs.truncate(path.join(dir, 'huge.yaml'), 2 * 1024 ** 2);
  const keep = ['labs', 'loop.yaml', 'huge.yaml'];
  const cases: [string, RegExp][] = [
    [path.join(dir, 'labs'), /: is a directory, not a lab file\. Fix: pass a lab file path or one of: bootstrap, etcd, ha, mini, talk, update$/],
    ['/dev/null', /^\/dev\/null: is not a regular file, so not a lab file\./],
    [path.join(dir, 'none.yaml'), /: no such lab file\. Fix: pass a lab file path or one of:/],
    [path.join(dir, 'loop.yaml'), /: is a loop of symbolic links\. Fix: point the link at the file itself$/],
    [path.join(dir, 'huge.yaml'), /: is 2\.0 MiB, too big for a lab file \(YAML of a few KiB\)\./],
  ];
  for (const [file, line] of cases) t.regex(await refusedLine(t, dir, ['up', file], keep), line, file);
});
