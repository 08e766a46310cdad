import test from 'ava';
import { isLabProcess, labLinks, labNftObjects, ownsName } from '../../../src/lab/leftovers.js';

const owns = (name: string) => ownsName('mini', name, ['mini-x']);

test('a name is the lab\'s when it is ml-<id> or ml-<id>-…, unless a longer known lab id claims it', (t) => {
  t.true(ownsName('mini', 'ml-mini'));
  t.true(ownsName('mini', 'ml-mini-node1'));
  t.false(ownsName('mini', 'ml-minix'), 'lab minix');
  t.false(ownsName('mini', 'ml-mini0'), 'a bridge name, not a lab object name');
  t.false(ownsName('mini', 'ml-mini-x-node1', ['mini-x']), 'lab mini-x\'s node1');
  t.true(ownsName('mini', 'ml-mini-x-node1', ['other']), 'no lab mini-x here: mini\'s node x-node1');
  t.false(ownsName('mini', 'ml-mini-x', ['mini-x']), 'lab mini-x\'s network');
});

// Trimmed from `ip -j link show` (iproute2 6.1) with lab update up: its bridge and one VM's tap.
const LINKS = JSON.stringify([
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP'], link_type: 'loopback' },
  { ifindex: 2, ifname: 'eth0', flags: ['UP'], link_type: 'ether' },
  { ifindex: 183, ifname: 'ml-mini0', flags: ['UP'], operstate: 'UP', link_type: 'ether' },
  { ifindex: 184, ifname: 'vnet0', flags: ['UP'], master: 'ml-mini0', operstate: 'UNKNOWN', link_type: 'ether' },
  { ifindex: 185, ifname: 'vnet1', flags: ['UP'], master: 'virbr0', link_type: 'ether' },
  { ifindex: 186, ifname: 'ml-mini-t0', flags: [], link_type: 'ether' },
  { ifindex: 187, ifname: 'ml-mini-x-t0', flags: [], link_type: 'ether' },
]);

test('links: the lab bridge, what is enslaved to it, and links named after the lab', (t) => {
  t.deepEqual(labLinks(LINKS, owns, 'ml-mini0'), ['bridge ml-mini0', 'link vnet0 on ml-mini0', 'link ml-mini-t0']);
  t.deepEqual(labLinks(LINKS, owns), ['link ml-mini-t0'], 'without the bridge: names only');
});

// Trimmed from `nft -j list ruleset` (nftables 1.0.6): libvirt's iptables-nft rules for a lab bridge, a lab table.
const RULESET = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', json_schema_version: 1 } },
    { table: { family: 'ip', name: 'filter', handle: 1 } },
    { chain: { family: 'ip', table: 'filter', name: 'LIBVIRT_INP', handle: 1 } },
    { rule: { family: 'ip', table: 'filter', chain: 'LIBVIRT_INP', handle: 766, expr: [
      { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'ml-mini0' } },
      { match: { op: '==', left: { payload: { protocol: 'udp', field: 'dport' } }, right: 69 } },
      { counter: { packets: 0, bytes: 0 } },
      { accept: null },
    ] } },
    { rule: { family: 'ip', table: 'filter', chain: 'LIBVIRT_FWX', handle: 770, expr: [
      { match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'ml-mini0' } },
      { match: { op: '==', left: { meta: { key: 'oifname' } }, right: 'ml-mini0' } },
      { accept: null },
    ] } },
    { rule: { family: 'ip', table: 'filter', chain: 'LIBVIRT_FWX', handle: 771, expr: [{ match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'virbr0' } }] } },
    { table: { family: 'bridge', name: 'ml-mini', handle: 9 } },
    { rule: { family: 'bridge', table: 'ml-mini', chain: 'partition', handle: 2, expr: [{ match: { op: '==', left: { meta: { key: 'iifname' } }, right: 'ml-mini0' } }, { drop: null }] } },
    { table: { family: 'bridge', name: 'ml-mini-x', handle: 10 } },
  ],
});

test('nftables: tables named after the lab, and rules elsewhere naming its bridge, per table', (t) => {
  t.deepEqual(labNftObjects(RULESET, owns, 'ml-mini0'), ['nft table bridge ml-mini', 'nft: 2 rules naming ml-mini0 in table ip filter']);
  t.deepEqual(labNftObjects(RULESET, owns), ['nft table bridge ml-mini']);
  t.deepEqual(labNftObjects(JSON.stringify({ nftables: [{ metainfo: {} }] }), owns, 'ml-mini0'), []);
});

const marks = { stateDir: '/var/lib/metal-lab/labs/mini', network: 'ml-mini', owns };

test('processes: the state dir named in any argument, libvirt\'s qemu and dnsmasq for the lab\'s objects', (t) => {
  // As /proc shows them with lab mini up (qemu's argv cut short).
  t.true(isLabProcess(['/usr/bin/node', 'main.js', 'matchbox', 'serve', '--data', '/var/lib/metal-lab/labs/mini/matchbox'], marks));
  t.true(isLabProcess(['rm', '-rf', '/var/lib/metal-lab/labs/mini'], marks));
  t.true(isLabProcess(['tool', '--dir=/var/lib/metal-lab/labs/mini'], marks));
  t.true(isLabProcess(['/usr/bin/qemu-system-x86_64', '-name', 'guest=ml-mini-node1,debug-threads=on', '-S'], marks));
  t.true(isLabProcess(['/usr/sbin/dnsmasq', '--conf-file=/var/lib/libvirt/dnsmasq/ml-mini.conf', '--leasefile-ro'], marks));

  t.false(isLabProcess(['/usr/bin/node', 'main.js', 'matchbox', 'serve', '--data', '/var/lib/metal-lab/labs/mini-x/matchbox'], marks), 'lab mini-x\'s dir');
  t.false(isLabProcess(['/usr/bin/qemu-system-x86_64', '-name', 'guest=ml-mini-x-node1,debug-threads=on'], marks), 'lab mini-x\'s VM');
  t.false(isLabProcess(['/usr/bin/qemu-system-x86_64', '-name', 'guest=ml-minix-node1'], marks));
  t.false(isLabProcess(['/usr/sbin/dnsmasq', '--conf-file=/var/lib/libvirt/dnsmasq/ml-mini-x.conf'], marks));
  t.false(isLabProcess(['/usr/bin/vim', 'guest=ml-mini-node1'], marks), 'not a qemu');
});
