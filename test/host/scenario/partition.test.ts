import { randomBytes } from 'node:crypto';
import type { ExecutionContext } from 'ava';
import { execa } from 'execa';
import { findNftTable, labNftTable, NFT, removeNftTable } from '../../../src/lab/nft-table.js';
import { applyPartition, partitionScript } from '../../../src/scenario/faults/network.js';
import { ip, needs, packageFile, program, root } from '../../support/needs.js';

// A lab's partition for real, without VMs: three network namespaces stand in for the nodes, each
// with a veth port on one Linux bridge that carries the host's address, as a lab bridge does.
// All addresses are on this machine only: the subnet exists on the bridge and in the namespaces.
const test = needs(root, ip, packageFile(NFT, 'nftables'), program('busybox', 'busybox-static'));

const SUBNET = '10.213.47';
const HOST = `${SUBNET}.1`;

interface Bench {
  bridge: string;
  /** Each namespace's name, address and MAC: the MAC of its end of the veth, which its frames carry. */
  nodes: { ns: string; addr: string; mac: string }[];
}

const run = (...argv: string[]) => execa(argv[0]!, argv.slice(1));

/** Namespaces, veths and a bridge named `<tag>...` (at most 15 characters each); all removed in teardown, also on failure. */
async function bench(t: ExecutionContext, tag: string, table: string): Promise<Bench> {
  const bridge = `${tag}br`;
  const names = [1, 2, 3].map((i) => ({ ns: `${tag}n${i}`, port: `${tag}h${i}`, inside: `${tag}e${i}`, addr: `${SUBNET}.${10 + i}` }));
  t.teardown(async () => {
    // Deleting a namespace deletes the veth end inside it, and so its peer on the bridge.
    for (const n of names) await execa('ip', ['netns', 'del', n.ns], { reject: false });
    await execa('ip', ['link', 'del', bridge], { reject: false });
    await execa(NFT, ['delete', 'table', 'bridge', table], { reject: false });
  });
  await run('ip', 'link', 'add', bridge, 'type', 'bridge');
  await run('ip', 'addr', 'add', `${HOST}/24`, 'dev', bridge);
  await run('ip', 'link', 'set', bridge, 'up');
  const nodes = [];
  for (const n of names) {
    await run('ip', 'netns', 'add', n.ns);
    await run('ip', 'link', 'add', n.port, 'type', 'veth', 'peer', 'name', n.inside, 'netns', n.ns);
    await run('ip', 'link', 'set', n.port, 'master', bridge, 'up');
    await run('ip', '-n', n.ns, 'addr', 'add', `${n.addr}/24`, 'dev', n.inside);
    await run('ip', '-n', n.ns, 'link', 'set', n.inside, 'up');
    const mac = JSON.parse((await run('ip', '-n', n.ns, '-j', 'link', 'show', n.inside)).stdout)[0].address as string;
    nodes.push({ ns: n.ns, addr: n.addr, mac });
  }
  return { bridge, nodes };
}

/** One ping, a second to answer: from a namespace, or from the host out of the bridge. */
async function reaches(from: { ns: string } | { bridge: string }, addr: string): Promise<boolean> {
  const ping = ['busybox', 'ping', '-c1', '-W1', addr];
  const argv = 'ns' in from ? ['ip', 'netns', 'exec', from.ns, ...ping] : [...ping.slice(0, -1), '-I', from.bridge, addr];
  return (await execa(argv[0]!, argv.slice(1), { reject: false })).exitCode === 0;
}

/** Who reaches whom, as "n1>n2" lines, for one assertion that shows the whole picture. */
async function reachability(b: Bench): Promise<string[]> {
  const pairs = b.nodes.flatMap((from, i) => b.nodes.map((to, j) => ({ from, to, i, j }))).filter((p) => p.i !== p.j);
  const lines = await Promise.all(pairs.map(async (p) => `n${p.i + 1}>n${p.j + 1} ${(await reaches(p.from, p.to.addr)) ? 'ok' : 'dropped'}`));
  const host = await Promise.all(b.nodes.map(async (n, i) => `host>n${i + 1} ${(await reaches({ bridge: b.bridge }, n.addr)) ? 'ok' : 'dropped'}`));
  return [...lines, ...host];
}

const picture = (dropped: string[]) =>
  ['n1>n2', 'n1>n3', 'n2>n1', 'n2>n3', 'n3>n1', 'n3>n2', 'host>n1', 'host>n2', 'host>n3'].map((p) => `${p} ${dropped.includes(p) ? 'dropped' : 'ok'}`);

test("a lab partition on a real bridge: the groups cut apart, each group whole, the host reaching all; a second replaces it; heal lifts it", async (t) => {
  const tag = `mlt${randomBytes(2).toString('hex')}`;
  const id = `ptest-${tag.slice(3)}`;
  const table = labNftTable(id);
  const b = await bench(t, tag, table);
  const [n1, n2, n3] = b.nodes.map((n) => n.mac);

  t.deepEqual(await reachability(b), picture([]), 'all reach all before the partition');

  const first = partitionScript(table, [[n1!], [n2!, n3!]]);
  await applyPartition(first.script);
  t.is(first.rules, 2);
  t.is(await findNftTable(id), table, 'down finds the table by the lab id');
  t.deepEqual(await reachability(b), picture(['n1>n2', 'n1>n3', 'n2>n1', 'n3>n1']), 'n1 cut off from n2 and n3, n2 and n3 together, the host reaching all');

  await applyPartition(partitionScript(table, [[n1!, n2!], [n3!]]).script);
  t.deepEqual(await reachability(b), picture(['n1>n3', 'n2>n3', 'n3>n1', 'n3>n2']), 'the second partition replaced the first');

  await removeNftTable(table);
  t.is(await findNftTable(id), undefined);
  t.deepEqual(await reachability(b), picture([]), 'all reach all after the heal');
});
