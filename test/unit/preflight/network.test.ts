import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { HostError } from '../../../src/errors.js';
import type { NetworkDefinition } from '../../../src/libvirt/network-claims.js';
import {
  addressesToPrefixes,
  checkBridgeUnclaimed,
  checkInterfaceFree,
  checkSubnetUnclaimed,
  checkSubnetFree,
  findOverlap,
  routesToPrefixes,
  type HostPrefix,
} from '../../../src/preflight/network.js';

test('routesToPrefixes: skips the default route, gives host routes /32', (t) => {
  const routes = [
    { dst: 'default', gateway: '192.0.2.1', dev: 'eth0' },
    { dst: '192.0.2.0/24', dev: 'eth0' },
    { type: 'local', dst: '127.0.0.1', dev: 'lo', table: 'local' },
  ];
  t.deepEqual(routesToPrefixes(routes), [
    { cidr: '192.0.2.0/24', dev: 'eth0', kind: 'route' },
    { cidr: '127.0.0.1/32', dev: 'lo', kind: 'route' },
  ]);
});

test('addressesToPrefixes: one prefix per IPv4 address', (t) => {
  const links = [
    { ifname: 'lo', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8 }] },
    { ifname: 'ifb0', addr_info: [] },
    { ifname: 'metal0', addr_info: [{ family: 'inet', local: '172.18.0.1', prefixlen: 24 }] },
  ];
  t.deepEqual(addressesToPrefixes(links), [
    { cidr: '127.0.0.1/8', dev: 'lo', kind: 'address' },
    { cidr: '172.18.0.1/24', dev: 'metal0', kind: 'address' },
  ]);
});

test('a subnet inside a wider route on another device is refused (fake table)', async (t) => {
  const prefixes: HostPrefix[] = [
    { cidr: '10.0.0.0/8', dev: 'eth0', kind: 'route' },
    { cidr: '172.16.0.0/12', dev: 'docker0', kind: 'route' },
  ];
  t.deepEqual(findOverlap('172.19.0.0/24', prefixes), prefixes[1]);
  const err = await t.throwsAsync(checkSubnetFree('172.19.0.0/24', prefixes), { instanceOf: HostError });
  t.is(err.message, 'the lab subnet 172.19.0.0/24 overlaps route 172.16.0.0/12 on docker0, already on this host');
  await t.notThrowsAsync(checkSubnetFree('192.168.50.0/24', prefixes));
});

test('an interface name already on the host (lo) is refused; a free one passes', async (t) => {
  const err = await t.throwsAsync(checkInterfaceFree('lo'), { instanceOf: HostError });
  t.is(err.message, 'a network interface named lo already exists on this host');
  t.is(err.fix, "choose another network.bridge in the lab file: lo is one of the host's own interfaces, not a bridge");
  await t.notThrowsAsync(checkInterfaceFree('ml-free-name9'));
});

test('checkInterfaceFree reads the given sysfs-style directory; a bridge there may be a crashed run\'s', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ml-sysnet-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'metal0', 'bridge'), { recursive: true });
  const err = await t.throwsAsync(checkInterfaceFree('metal0', dir), { instanceOf: HostError });
  t.regex(err.fix, /network\.bridge.*\(or, if a crashed run left it: ip link del metal0\)$/);
  await t.notThrowsAsync(checkInterfaceFree('ml-mini0', dir));
});

const NETWORKS: NetworkDefinition[] = [
  { name: 'default', active: false, bridge: 'virbr0', subnets: ['192.168.122.0/24'] },
  { name: 'ml-talk', active: true, bridge: 'metal0', subnets: ['172.18.0.0/24'] },
];

test('a bridge or subnet of a libvirt network is refused, even while that network is not started', (t) => {
  const bridge = t.throws(() => checkBridgeUnclaimed('virbr0', NETWORKS), { instanceOf: HostError });
  t.is(bridge.message, 'virbr0 is the bridge of libvirt network default (defined but not started)');
  t.regex(bridge.fix, /another network\.bridge.*virsh net-undefine default/);
  const subnet = t.throws(() => checkSubnetUnclaimed('192.168.122.0/24', NETWORKS), { instanceOf: HostError });
  t.is(subnet.message, 'the lab subnet 192.168.122.0/24 overlaps 192.168.122.0/24 of libvirt network default (defined but not started)');
  t.regex(subnet.fix, /another network\.subnet/);
  t.regex(t.throws(() => checkSubnetUnclaimed('172.18.0.0/16', NETWORKS))!.message, /overlaps 172\.18\.0\.0\/24 of libvirt network ml-talk \(running\)/);
  t.notThrows(() => checkBridgeUnclaimed('ml-mini0', NETWORKS));
  t.notThrows(() => checkSubnetUnclaimed('172.19.0.0/24', NETWORKS));
});
