import test from 'ava';
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
