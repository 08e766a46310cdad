import test from 'ava';
import { networkClaims } from '../../../src/libvirt/network-claims.js';
import { parseLeases } from '../../../src/libvirt/network.js';

// Captured from `virsh net-dhcp-leases` of libvirt 9.0 on a lab network.
const LEASES = ` Expiry Time           MAC address         Protocol   IP address       Hostname   Client ID or DUID
-------------------------------------------------------------------------------------------------------------
 2026-11-27 04:01:12   52:54:00:a1:9c:ae   ipv4       172.19.0.21/24   node1      01:52:54:00:a1:9c:ae
 2026-11-27 04:01:15   52:54:00:B2:2F:86   ipv4       172.19.0.22/24   -          01:52:54:00:b2:2f:86
`;

test('leases: MAC lower-cased, prefix stripped, missing hostname dropped', (t) => {
  t.deepEqual(parseLeases(LEASES), [
    { mac: '52:54:00:a1:9c:ae', ip: '172.19.0.21', hostname: 'node1', expiry: '2026-11-27 04:01:12' },
    { mac: '52:54:00:b2:2f:86', ip: '172.19.0.22', hostname: undefined, expiry: '2026-11-27 04:01:15' },
  ]);
});

test('leases: an empty table has no leases', (t) => {
  t.deepEqual(parseLeases(LEASES.split('\n').slice(0, 2).join('\n')), []);
});

// libvirt's own default network (/usr/share/libvirt/networks/default.xml), as net-dumpxml gives it.
const DEFAULT = `<network>
  <name>default</name>
  <uuid>3e3fce45-4f53-4fa7-bb32-11f34168b82b</uuid>
  <forward mode='nat'/>
  <bridge name='virbr0' stp='on' delay='0'/>
  <ip address='192.168.122.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.122.2' end='192.168.122.254'/>
    </dhcp>
  </ip>
</network>`;

test('a network definition claims its bridge and the subnet of each IPv4 address, by netmask or prefix', (t) => {
  t.deepEqual(networkClaims(DEFAULT), { bridge: 'virbr0', subnets: ['192.168.122.0/24'] });
  const two = `<network><bridge name="br-x"/><ip address="10.1.2.3" prefix="16"/><ip family="ipv6" address="fd00::1" prefix="64"/><ip family='ipv4' address='172.30.0.1' netmask='255.255.255.240'/></network>`;
  t.deepEqual(networkClaims(two), { bridge: 'br-x', subnets: ['10.1.0.0/16', '172.30.0.0/28'] });
  t.deepEqual(networkClaims('<network><name>empty</name></network>'), { subnets: [] });
});
