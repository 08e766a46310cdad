import test from 'ava';
import { labNftTable } from '../../../../src/lab/nft-table.js';
import { linkState, netemArgs, partitionedNodes, partitionScript, rootQdisc, routeDev, tapOf } from '../../../../src/scenario/faults/network.js';
import { miniLab } from '../../../support/mini-lab.js';

const [A, B, C] = ['52:54:00:00:00:0a', '52:54:00:00:00:0b', '52:54:00:00:00:0c'];

test('a partition of two groups: the lab table, its forward chain flushed, then one drop rule each way', (t) => {
  const { script, rules } = partitionScript('ml-mini', [[A], [B, C]]);
  t.is(rules, 2);
  t.is(
    script,
    [
      'add table bridge ml-mini',
      'add chain bridge ml-mini forward { type filter hook forward priority 0; policy accept; }',
      'flush chain bridge ml-mini forward',
      `add rule bridge ml-mini forward ether saddr { ${A} } ether daddr { ${B}, ${C} } counter drop`,
      `add rule bridge ml-mini forward ether saddr { ${B}, ${C} } ether daddr { ${A} } counter drop`,
      '',
    ].join('\n'),
  );
});

test('a partition of three groups drops every ordered pair of groups', (t) => {
  const { script, rules } = partitionScript('ml-x', [[A], [B], [C]]);
  t.is(rules, 6);
  const drops = script.split('\n').filter((l) => l.startsWith('add rule'));
  t.is(drops.length, 6);
  for (const [from, to] of [[A, B], [A, C], [B, A], [B, C], [C, A], [C, B]]) t.true(drops.includes(`add rule bridge ml-x forward ether saddr { ${from} } ether daddr { ${to} } counter drop`), `${from} -> ${to}`);
});

test("the partition table carries the lab id, as the lab's libvirt objects do", (t) => {
  t.is(labNftTable('mini'), 'ml-mini');
});

test('the nodes of a partition are read back from the MACs in its table', (t) => {
  const lab = miniLab();
  const [n1, n2] = lab.nodes;
  const listing = `table bridge ml-mini {
\tchain forward {
\t\ttype filter hook forward priority filter; policy accept;
\t\tether saddr ${n1!.mac.toUpperCase()} ether daddr { ${n2!.mac}, 52:54:00:ff:ff:ff } counter packets 3 bytes 126 drop
\t}
}`;
  t.deepEqual(partitionedNodes(lab, listing).map((n) => n.name), [n1!.name, n2!.name], 'a MAC that is no node of the lab is left out');
  t.deepEqual(partitionedNodes(lab, 'table bridge ml-mini {\n}'), []);
});

test('netem arguments: delay and loss as tc writes them, loss from a share', (t) => {
  t.deepEqual(netemArgs('vnet3', { delayMs: 200, loss: 0.05 }), ['qdisc', 'replace', 'dev', 'vnet3', 'root', 'netem', 'delay', '200ms', 'loss', '5%']);
  t.deepEqual(netemArgs('vnet3', { delayMs: 1000 }), ['qdisc', 'replace', 'dev', 'vnet3', 'root', 'netem', 'delay', '1000ms']);
  t.deepEqual(netemArgs('vnet3', { loss: 0.005 }), ['qdisc', 'replace', 'dev', 'vnet3', 'root', 'netem', 'loss', '0.5%']);
  t.deepEqual(netemArgs('vnet3', { loss: 0.07 }).at(-1), '7%', 'no float noise (0.07 * 100 is 7.000000000000001)');
});

test("tc -j: netem's delay (seconds) and loss (a share) at the root, another qdisc by kind, none", (t) => {
  const netem = '[{"kind":"netem","handle":"8001:","root":true,"refcnt":2,"options":{"limit":1000,"delay":{"delay":0.2,"jitter":0,"correlation":0},"loss-random":{"loss":0.05,"correlation":0},"ecn":false,"gap":0}}]';
  t.deepEqual(rootQdisc(netem), { kind: 'netem', netem: { delayMs: 200, loss: 0.05 } });
  t.deepEqual(rootQdisc('[{"kind":"netem","handle":"8001:","root":true,"refcnt":2,"options":{"limit":1000,"delay":{"delay":0.199999,"jitter":0,"correlation":0},"ecn":false,"gap":0}}]'), { kind: 'netem', netem: { delayMs: 199.999, loss: 0 } });
  t.deepEqual(rootQdisc('[{"kind":"netem","handle":"8001:","root":true,"refcnt":2,"options":{"limit":1000,"loss-random":{"loss":0.5,"correlation":0},"ecn":false,"gap":0}}]'), { kind: 'netem', netem: { delayMs: 0, loss: 0.5 } });
  const fq = '[{"kind":"fq_codel","handle":"0:","root":true,"refcnt":2,"options":{"limit":10240,"flows":1024}},{"kind":"pfifo","handle":"1:","parent":"8001:1","options":{"limit":1000}}]';
  t.deepEqual(rootQdisc(fq), { kind: 'fq_codel' });
  t.deepEqual(rootQdisc('[{"kind":"noqueue","handle":"0:","root":true,"refcnt":2,"options":{}}]'), { kind: 'noqueue' });
  t.is(rootQdisc('[]'), undefined);
  t.is(rootQdisc(''), undefined);
});

test('virsh domiflist: the tap of the NIC with the MAC, none while the domain is off', (t) => {
  const running = ` Interface   Type      Source    Model    MAC
-------------------------------------------------------------
 vnet7       network   ml-mini   virtio   52:54:00:00:00:0b
 vnet8       network   ml-mini   virtio   52:54:00:00:00:0c
`;
  t.is(tapOf(running, B), 'vnet7');
  t.is(tapOf(running, C.toUpperCase()), 'vnet8', 'MACs compare without case');
  t.is(tapOf(running, A), undefined);
  const off = ` Interface   Type      Source    Model    MAC
-------------------------------------------------------------
 -           network   ml-mini   virtio   52:54:00:00:00:0b
`;
  t.is(tapOf(off, B), undefined);
});

test('virsh domif-getlink: "<interface> <state>", with "default" from old libvirt as up', (t) => {
  t.is(linkState(`${B} down\n`), 'down');
  t.is(linkState(`${B} up\n\n`), 'up');
  t.is(linkState('vnet7 default'), 'up');
  t.is(linkState(''), undefined);
});

test('the device a node reaches the host through, from ip -o route get', (t) => {
  t.is(routeDev('172.26.0.1 dev ens3 src 172.26.0.21 uid 1000 \\    cache '), 'ens3');
  t.is(routeDev('local 172.26.0.21 dev lo table local src 172.26.0.21 uid 0 \\    cache <local> '), 'lo');
  t.is(routeDev('RTNETLINK answers: Network is unreachable'), undefined);
});
