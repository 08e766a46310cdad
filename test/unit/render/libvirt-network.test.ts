import test from 'ava';
import { labIdFromXml } from '../../../src/libvirt/metadata.js';
import {
  DNSMASQ_XMLNS,
  ipxeChainOptions,
  renderNetworkXml,
  tftpFiles,
} from '../../../src/render/libvirt-network.js';
import { LAB_XMLNS, labObjectNames, type LabSpec } from '../../../src/ground/lab-spec.js';
import { miniLab, miniPaths } from '../../support/mini-lab.js';
import { all, one, parseXml } from '../../support/xml-query.js';

const render = (lab: LabSpec) => parseXml(renderNetworkXml(lab, { tftpRoot: miniPaths.tftpRoot }));
const optionValues = (xml: string) => all(parseXml(xml), 'dnsmasq:option').map((o) => o.getAttribute('value'));

test('isolated by default: no <forward> at all', (t) => {
  const net = render(miniLab());
  t.is(all(net, 'forward').length, 0);
});

test('NAT only when the lab asks for it', (t) => {
  const forward = one(render(miniLab({ nat: true })), 'forward');
  t.is(forward.getAttribute('mode'), 'nat');
});

test('name, bridge, metadata and DNS domain come from the lab', (t) => {
  const lab = miniLab();
  const net = render(lab);
  t.is(one(net, 'name').textContent, labObjectNames(lab).network);
  const bridge = one(net, 'bridge');
  t.deepEqual(
    ['name', 'stp', 'delay'].map((a) => bridge.getAttribute(a)),
    ['ml-mini0', 'off', '0'],
  );
  t.is(one(net, 'ml:lab').getAttribute('id'), 'mini');
  t.is(one(net, 'ml:lab').getAttribute('xmlns:ml'), LAB_XMLNS);
  // The reader `down` and `status` use finds the same id.
  t.is(labIdFromXml(renderNetworkXml(lab, { tftpRoot: miniPaths.tftpRoot })), 'mini');
  const domain = one(net, 'domain');
  t.is(domain.getAttribute('name'), 'example.com');
  t.is(domain.getAttribute('localOnly'), 'yes');
});

test('one DNS <host> per address, carrying every name for it', (t) => {
  const lab = miniLab();
  const hosts = all(one(render(lab), 'dns'), 'host');
  const rendered = new Map(hosts.map((h) => [h.getAttribute('ip'), all(h, 'hostname').map((n) => n.textContent)]));
  t.is(rendered.size, hosts.length, 'an address appears twice');
  t.deepEqual(rendered.get('172.19.0.21'), ['node1.example.com', 'cluster.example.com']);
  for (const { name, ip } of lab.dns) t.true(rendered.get(ip)?.includes(name), `${name} -> ${ip} missing`);
  t.is([...rendered.values()].flat().length, lab.dns.length);
});

test('no <dns> element when the lab has no DNS entries', (t) => {
  t.is(all(render({ ...miniLab(), dns: [] }), 'dns').length, 0);
});

test('gateway, prefix, TFTP root and DHCP range', (t) => {
  const [ip, ...rest] = all(render(miniLab()), 'ip') as [ReturnType<typeof one>, ...ReturnType<typeof one>[]];
  t.is(rest.length, 1, 'the IPv4 address, then the IPv6 one');
  t.is(ip.getAttribute('address'), '172.19.0.1');
  t.is(ip.getAttribute('prefix'), '24');
  t.is(one(ip, 'tftp').getAttribute('root'), miniPaths.tftpRoot);
  const range = one(ip, 'range');
  t.deepEqual([range.getAttribute('start'), range.getAttribute('end')], ['172.19.0.50', '172.19.0.99']);
});

test('an IPv6 ULA prefix derived from the subnet, for router advertisements, with no DHCPv6', (t) => {
  const v6 = all(render(miniLab()), 'ip').filter((e) => e.getAttribute('family') === 'ipv6');
  t.is(v6.length, 1);
  t.is(v6[0]!.getAttribute('address'), 'fd6d:6574:616c:1300::1');
  t.is(v6[0]!.getAttribute('prefix'), '64');
  t.is(all(v6[0]!, 'dhcp').length, 0);
});

test('every node has exactly one DHCP reservation with a 1h lease', (t) => {
  const lab = miniLab();
  const hosts = all(one(render(lab), 'dhcp'), 'host');
  t.is(hosts.length, lab.nodes.length);
  for (const node of lab.nodes) {
    const mine = hosts.filter((h) => h.getAttribute('mac') === node.mac);
    t.is(mine.length, 1, `${node.name} has ${mine.length} reservations`);
    const host = mine[0]!;
    t.is(host.getAttribute('ip'), node.ip);
    t.is(host.getAttribute('name'), node.name);
    const lease = one(host, 'lease');
    t.deepEqual([lease.getAttribute('expiry'), lease.getAttribute('unit')], ['1', 'hours']);
  }
});

test('the iPXE chain rides in the dnsmasq namespace, pointing at the lab boot server', (t) => {
  const lab = { ...miniLab(), bootServer: { address: '172.19.0.1', port: 9091 } };
  const xml = renderNetworkXml(lab, { tftpRoot: miniPaths.tftpRoot });
  t.is(parseXml(xml).getAttribute('xmlns:dnsmasq'), DNSMASQ_XMLNS);
  const values = optionValues(xml);
  t.deepEqual(values, ipxeChainOptions(lab));
  t.true(values.includes('dhcp-userclass=set:ipxe,iPXE'));
  t.true(values.includes('dhcp-boot=tag:ipxe,http://172.19.0.1:9091/boot.ipxe'));
  // Each firmware PXE ROM is offered the iPXE build TFTP actually serves.
  const bootFiles = values.filter((v) => v?.startsWith('dhcp-boot=tag:!ipxe')).map((v) => v!.split(',').at(-1));
  t.deepEqual(bootFiles.sort(), tftpFiles().map((f) => f.name).sort());
});
