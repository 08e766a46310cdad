import test from 'ava';
import { cidrsOverlap, inRange, intToIp, ipToInt, Subnet } from '../../../src/ground/ipv4.js';

test('address <-> uint32 round trip, including the top bit', (t) => {
  t.is(ipToInt('0.0.0.1'), 1);
  t.is(ipToInt('255.255.255.255'), 2 ** 32 - 1);
  t.is(intToIp(ipToInt('172.19.0.21')), '172.19.0.21');
  t.is(intToIp(ipToInt('200.1.2.3')), '200.1.2.3');
});

test('cidrsOverlap: containment either way, adjacency is not overlap', (t) => {
  t.true(cidrsOverlap('172.19.0.0/24', '172.16.0.0/12'));
  t.true(cidrsOverlap('172.16.0.0/12', '172.19.0.0/24'));
  t.true(cidrsOverlap('172.19.0.0/24', '172.19.0.5/32'));
  t.false(cidrsOverlap('172.19.0.0/24', '172.19.1.0/24'));
  t.false(cidrsOverlap('127.0.0.0/8', '128.0.0.0/24'));
});

test('Subnet: gateway, bounds, default DHCP ranges by size', (t) => {
  const s = new Subnet('10.1.0.0', 16);
  t.is(s.gateway, '10.1.0.1');
  t.is(s.cidr, '10.1.0.0/16');
  t.true(s.contains('10.1.255.255'));
  t.false(s.contains('10.2.0.0'));
  t.true(s.isNetworkOrBroadcast('10.1.255.255'));
  t.deepEqual(s.defaultDhcpRange(), { start: '10.1.0.50', end: '10.1.0.99' });
  t.deepEqual(new Subnet('10.1.0.0', 25).defaultDhcpRange(), { start: '10.1.0.50', end: '10.1.0.99' });
  t.deepEqual(new Subnet('10.1.0.0', 29).defaultDhcpRange(), { start: '10.1.0.4', end: '10.1.0.6' });
});

test('firstFreeHost skips the gateway, taken addresses and the DHCP range', (t) => {
  const s = new Subnet('10.1.0.0', 29);
  const range = { start: '10.1.0.4', end: '10.1.0.6' };
  t.is(s.firstFreeHost(new Set(), range), '10.1.0.2');
  t.is(s.firstFreeHost(new Set(['10.1.0.2']), range), '10.1.0.3');
  t.is(s.firstFreeHost(new Set(['10.1.0.2', '10.1.0.3']), range), undefined);
  t.true(inRange('10.1.0.5', range));
  t.false(inRange('10.1.0.7', range));
});
