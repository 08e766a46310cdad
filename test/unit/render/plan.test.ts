import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { hostLayout } from '../../../src/ground/host-layout.js';
import { renderBootkubeAssets } from '../../../src/render/bootkube/index.js';
import { renderLabPlan, type KubeFiles, type LabPlan, type PlanInputs } from '../../../src/render/plan.js';
import { renderUpdateOperator } from '../../../src/render/update-operator/index.js';
import { freshPki, goldenLab } from '../../support/bootkube-fixture.js';
import { miniLab } from '../../support/mini-lab.js';

const goldenDir = fileURLToPath(new URL('../../golden/', import.meta.url));
const update = process.env.UPDATE_GOLDEN === '1';
/** The layout miniPaths names, so the plan's XML is the libvirt goldens' XML. */
const host = hostLayout({ METAL_LAB_HOME: '/var/lib/metal-lab' });
const live = { kernel: '/cache/labos-live/k/vmlinuz', initrd: '/cache/labos-live/k/initrd.img' };

const mini = miniLab();
const livePlan = (): LabPlan => renderLabPlan(mini, { accel: 'tcg', timeoutScale: 6, paths: host.lab(mini.id), live });

const kubeLab = { ...goldenLab(), kubernetes: { version: 'v1.20.2', apiName: 'cluster.example.com' } };
const kube: KubeFiles = {
  assets: {
    version: 'v1.20.2',
    baseUrl: 'http://172.30.5.1:8080/assets/kubernetes/v1.20.2',
    kubelet: { name: 'kubelet', sha512: 'a'.repeat(128) },
    kubectl: { name: 'kubectl', sha512: 'b'.repeat(128) },
    images: [{ name: 'pause.tar', sha512: 'c'.repeat(128), ref: 'metal-lab.local/pause:v1.20.2' }],
    pauseRef: 'metal-lab.local/pause:v1.20.2',
  },
  files: { kubelet: '/cache/kubernetes/k/bin/kubelet', kubectl: '/cache/kubernetes/k/bin/kubectl', 'pause.tar': '/cache/kube-images/k/pause.tar' },
};
const kubeInputs = freshPki(kubeLab).then((pki): PlanInputs => ({
  accel: 'tcg',
  timeoutScale: 6,
  paths: host.lab(kubeLab.id),
  live,
  install: { rootfs: '/cache/labos-disk/k/root.ext4', usr: '/cache/labos-disk/k/usr.ext4', pki, kube },
}));

/** One line per entry: what it is, its mode, its path, and for a placed file where it comes from. */
function listing(plan: LabPlan): string {
  const mode = (m: number) => m.toString(8).padStart(4, '0');
  return [...plan]
    .map(([rel, e]) => (e.kind === 'copy' ? `copy      ${rel} <- ${e.from}` : `${e.kind.padEnd(4)} ${mode(e.mode)} ${rel}${e.kind === 'dir' && e.fresh ? ' (fresh)' : ''}`))
    .join('\n')
    .concat('\n');
}

async function matchesGolden(t: import('ava').ExecutionContext, name: string, text: string): Promise<void> {
  const file = path.join(goldenDir, name);
  if (update) {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text);
  }
  t.is(text, await fs.readFile(file, 'utf8'), `UPDATE_GOLDEN=1 npx ava ${path.relative(process.cwd(), fileURLToPath(import.meta.url))}`);
}

const textOf = (plan: LabPlan, rel: string) => {
  const e = plan.get(rel);
  if (e?.kind !== 'text') throw new Error(`${rel} is not a text entry of the plan`);
  return e.text;
};

test("a live lab's plan holds the libvirt XML of test/golden/libvirt byte for byte", async (t) => {
  const plan = livePlan();
  const golden = (f: string) => fs.readFile(path.join(goldenDir, 'libvirt', f), 'utf8');
  t.is(textOf(plan, 'render/network.xml'), await golden('network.xml'));
  t.is(textOf(plan, 'render/pool.xml'), await golden('pool.xml'));
  t.is(textOf(plan, 'render/volume-node1.xml'), await golden('volume-node1.xml'));
  t.is(textOf(plan, 'render/domain-node1.xml'), await golden('domain-node1-bios-tcg.xml'));
  t.is(textOf(plan, 'render/domain-node2.xml'), await golden('domain-node2-uefi-tcg.xml'));
});

test("a live lab's plan: every dir and file, in the order written (test/golden/plan/live-mini.txt)", async (t) => {
  await matchesGolden(t, 'plan/live-mini.txt', listing(livePlan()));
});

test("a Kubernetes lab's plan: every dir and file, in the order written (test/golden/plan/kube-golden.txt)", async (t) => {
  await matchesGolden(t, 'plan/kube-golden.txt', listing(renderLabPlan(kubeLab, await kubeInputs)));
});

test("a Kubernetes lab's plan holds bootkube's asset dir as the render writes it, with its modes", async (t) => {
  const inputs = await kubeInputs;
  const plan = renderLabPlan(kubeLab, inputs);
  const assets = renderBootkubeAssets(kubeLab, inputs.install!.pki, { kubeVersion: 'v1.20.2', timeoutScale: 6 });
  const bootkube = [...plan].filter(([rel, e]) => rel.startsWith('bootkube/') && e.kind === 'text');
  t.deepEqual(bootkube.map(([rel]) => rel.slice('bootkube/'.length)).sort(), [...assets.keys()].sort());
  for (const [rel] of bootkube) t.is(textOf(plan, rel), assets.get(rel.slice('bootkube/'.length)) ?? '', rel);
  t.like(plan.get('bootkube/tls/apiserver.key'), { mode: 0o600 });
  t.like(plan.get('bootkube/tls'), { kind: 'dir', mode: 0o700 });
  t.like(plan.get('kubernetes.json'), { kind: 'text' });
  t.deepEqual(JSON.parse(textOf(plan, 'kubernetes.json')), kube.assets);
});

test("with updates:, the plan holds the update operator's manifests as the render writes them, after bootkube's; without, none", async (t) => {
  const inputs = await kubeInputs;
  const updates = { channel: 'stable', rebootWindow: { start: '02:00', length: '1h' }, beforeRebootAnnotations: [], afterRebootAnnotations: ['example.com/ok'] };
  const plan = renderLabPlan({ ...kubeLab, updates }, inputs);
  const keys = [...plan.keys()];
  const at = keys.indexOf('update-operator');
  t.like(plan.get('update-operator'), { kind: 'dir', mode: 0o755, fresh: true });
  t.true(at > keys.findLastIndex((k) => k.startsWith('bootkube/')));
  const manifests = renderUpdateOperator(updates, 'update-operator');
  t.deepEqual(keys.slice(at + 1), [...manifests.keys()]);
  for (const [rel, text] of manifests) t.like(plan.get(rel), { kind: 'text', text, mode: 0o644 });
  t.false([...renderLabPlan(kubeLab, inputs).keys()].some((k) => k.startsWith('update-operator')));
});

test('Matchbox profiles and their Ignition come before the groups that name them', async (t) => {
  for (const plan of [livePlan(), renderLabPlan(kubeLab, await kubeInputs)]) {
    const keys = [...plan.keys()];
    const lastProfile = keys.findLastIndex((k) => /^matchbox\/(profiles|ignition|generic)\//.test(k));
    const firstGroup = keys.findIndex((k) => k.startsWith('matchbox/groups/'));
    t.true(lastProfile >= 0 && firstGroup > lastProfile);
  }
});

test('the plan is pure: the same inputs give the same plan', async (t) => {
  t.deepEqual(livePlan(), livePlan());
  const inputs = await kubeInputs;
  t.deepEqual(renderLabPlan(kubeLab, inputs), renderLabPlan(kubeLab, inputs));
});

test("the plan's digest, a snapshot's record of its node configs: equal for equal plans, changed by any file's content or mode", async (t) => {
  const { planDigest } = await import('../../../src/lab/lab-inputs.js');
  const inputs = await kubeInputs;
  const plan = renderLabPlan(kubeLab, inputs);
  t.is(planDigest(plan), planDigest(renderLabPlan(kubeLab, inputs)));
  t.is(planDigest(plan), planDigest(new Map([...plan].reverse())), 'the order files are written in is no config');

  const ignition = [...plan.keys()].find((rel) => rel.endsWith('.ign'))!;
  const entry = plan.get(ignition)!;
  if (entry.kind !== 'text') return t.fail(`${ignition} is no rendered text`);
  t.not(planDigest(new Map(plan).set(ignition, { ...entry, text: `${entry.text} ` })), planDigest(plan), 'an Ignition config changed');
  t.not(planDigest(new Map(plan).set(ignition, { ...entry, mode: 0o600 })), planDigest(plan), 'a mode changed');
  t.not(planDigest(renderLabPlan(kubeLab, { ...inputs, timeoutScale: 1 })), planDigest(plan), 'the same lab rendered for KVM');
});
