import test from 'ava';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CHECKS } from '../../../src/scenario/checks.js';
import { EvidenceError } from '../../../src/scenario/evidence.js';
import { hostLayout } from '../../../src/ground/host-layout.js';
import { bootStage } from '../../../src/lab/node-progress.js';
import { nodeRequests } from '../../../src/matchbox/request-log.js';
import { parseLab } from '../../../src/spec/lab.js';
import type { ScenarioContext } from '../../../src/scenario/context.js';
import type { RequestLogEntry } from '../../../src/matchbox/types.js';

process.env.METAL_LAB_HOME = await fs.mkdtemp(path.join(os.tmpdir(), 'metal-lab-checks-'));
test.after.always(() => fs.rm(process.env.METAL_LAB_HOME!, { recursive: true, force: true }));

const lab = parseLab(
  `id: chk
network: { bridge: ml-chk0, subnet: 172.29.0.0/24 }
nodes:
  - { name: node1, role: controller, mac: "52:54:00:a1:9c:ae", ip: 172.29.0.21 }
  - { name: node2, role: worker, mac: "52:54:00:b2:2f:86", ip: 172.29.0.22 }
`,
  'chk.yaml',
);
const [node1, node2] = lab.nodes as [(typeof lab.nodes)[0], (typeof lab.nodes)[0]];
const ctx = { lab, paths: hostLayout().lab(lab.id), timeoutScale: 1 } as ScenarioContext;

const req = (path: string, client: string, extra: Partial<RequestLogEntry> = {}): RequestLogEntry => ({
  time: '2026-11-27T03:00:00.000Z', client, method: 'GET', path, labels: {}, status: 200, ...extra,
});

/** The request log of a node that went through the whole chain. */
const goodChain = (n: typeof node1): RequestLogEntry[] => [
  req('/boot.ipxe', n.ip),
  req('/ipxe', n.ip, { labels: { mac: n.mac }, group: `live-${n.name}`, profile: `live-${n.name}` }),
  req('/assets/labos-live/vmlinuz', n.ip),
  req('/assets/labos-live/initrd.img', n.ip),
  req('/ignition', n.ip, { labels: { mac: n.mac }, group: `live-${n.name}`, profile: `live-${n.name}` }),
  req('/lab/event', n.ip, { labels: { mac: n.mac, stage: 'userspace' } }),
];

async function writeLab(entries: RequestLogEntry[], consoles: Record<string, string>) {
  const p = ctx.paths;
  await fs.mkdir(p.consoleDir, { recursive: true });
  await fs.writeFile(p.requestLog, entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
  for (const [node, text] of Object.entries(consoles)) await fs.writeFile(p.console(node), text);
}

test.serial('a full chain passes boot-chain and userspace, per node', async (t) => {
  await writeLab([...goodChain(node1), ...goodChain(node2)], {
    node1: 'iPXE...\nmetal-lab: reached userspace mac=52:54:00:a1:9c:ae\n',
    node2: 'metal-lab: reached userspace mac=52:54:00:b2:2f:86\n',
  });
  t.regex(await CHECKS['boot-chain'](ctx, node1), /profile live-node1/);
  t.regex(await CHECKS['boot-chain'](ctx, node2), /profile live-node2/);
  t.regex(await CHECKS.userspace(ctx, node1), /callback/);
});

test.serial("a node answered from another node's profile fails boot-chain, citing evidence", async (t) => {
  const chain = goodChain(node1);
  chain[1] = { ...chain[1]!, group: 'live-node2', profile: 'live-node2' };
  await writeLab(chain, {});
  const err = await t.throwsAsync(CHECKS['boot-chain'](ctx, node1), { instanceOf: EvidenceError });
  t.regex(err!.message, /expected live-node1\/live-node1/);
  t.true(err!.evidence.includes(ctx.paths.console('node1')));
});

test.serial('/ipxe before /boot.ipxe, or a missing initrd, fails boot-chain', async (t) => {
  const chain = goodChain(node1);
  await writeLab([chain[1]!, chain[0]!, chain[2]!, chain[3]!], {});
  await t.throwsAsync(CHECKS['boot-chain'](ctx, node1), { message: /no \/ipxe request with mac=52:54:00:a1:9c:ae after \/boot.ipxe/ });
  await writeLab(chain.filter((e) => !e.path.endsWith('initrd.img')), {});
  await t.throwsAsync(CHECKS['boot-chain'](ctx, node1), { message: /initrd.img asset was not fetched/ });
});

test.serial('userspace needs the console marker for this MAC and the callback', async (t) => {
  await writeLab(goodChain(node1), { node1: 'metal-lab: reached userspace mac=52:54:00:b2:2f:86\n' });
  await t.throwsAsync(CHECKS.userspace(ctx, node1), { message: /no "metal-lab: reached userspace" marker/ });
  await writeLab(goodChain(node1).slice(0, -1), { node1: 'metal-lab: reached userspace mac=52:54:00:a1:9c:ae\n' });
  await t.throwsAsync(CHECKS.userspace(ctx, node1), { message: /no userspace callback/ });
});

test('boot stage follows the furthest request, attributing unlabelled requests by client IP', (t) => {
  const all = [...goodChain(node1), ...goodChain(node2).slice(0, 3)];
  t.is(bootStage(nodeRequests(all, node1)), 'userspace');
  t.is(bootStage(nodeRequests(all, node2)), 'kernel');
  t.is(bootStage(nodeRequests(all.slice(0, 1), node1)), 'pxe');
  t.is(bootStage([]), 'none');
  t.is(bootStage([req('/ipxe', node1.ip, { status: 404 })]), 'none');
});

test('an installing node moves on to installed-to-disk, then installed', (t) => {
  const chain = goodChain(node1);
  const install = req('/lab/event', node1.ip, { labels: { mac: node1.mac, stage: 'installed-to-disk' } });
  const firstBoot = req('/lab/event', node1.ip, { labels: { mac: node1.mac, stage: 'installed' } });
  t.is(bootStage([...chain, install]), 'installed-to-disk');
  t.is(bootStage([...chain, install, firstBoot]), 'installed');
  t.is(bootStage([req('/lab/event', node1.ip, { labels: { mac: node1.mac, stage: 'bogus' } })]), 'none');
});
