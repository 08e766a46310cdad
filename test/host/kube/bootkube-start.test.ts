import { execa } from 'execa';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { LabError } from '../../../src/errors.js';
import { manifestObjects } from '../../../src/kube/asset-dir.js';
import { bootkubeStart, waitForApi, waitForSelfHosted, type NodeShell } from '../../../src/kube/bootkube-start.js';
import { loadKubeconfig, listPods } from '../../../src/kube/client.js';
import { bootstrapPods } from '../../../src/kube/pods.js';
import { DEFAULT_KUBE_VERSION, NODE_PATHS } from '../../../src/ground/cluster.js';
import { renderBootkubeAssets } from '../../../src/render/bootkube/index.js';
import { WaitTimeoutError } from '../../../src/toolkit/wait-for.js';
import { freshPki, goldenLab, tempDir } from '../../support/bootkube-fixture.js';
import { ENVTEST_NEEDS, forceDeletePod, ownerOf, podWithPhase, setPodPhase, startEnvtest, type Envtest } from '../../support/envtest.js';
import { needs } from '../../support/needs.js';

const apiTest = needs(...ENVTEST_NEEDS);
let env: Envtest;
let assets: Map<string, string>;
test.before(async () => {
  const lab = goldenLab();
  assets = renderBootkubeAssets(lab, await freshPki(lab), { kubeVersion: DEFAULT_KUBE_VERSION, timeoutScale: 1 });
});
apiTest.before(async () => {
  env = await startEnvtest();
});
apiTest.after.always(async () => {
  await env?.stop();
});

/** A node whose / is a temp dir: files and commands land under it (absolute node paths rewritten). */
async function localNode(name: string): Promise<NodeShell & { root: string }> {
  const root = await tempDir(`node-${name}-`);
  const under = (p: string) => path.join(root, p);
  return {
    name,
    root,
    async run(cmd) {
      const r = await execa('sh', ['-c', cmd.replaceAll(`'/etc/kubernetes`, `'${root}/etc/kubernetes`)], { reject: false });
      return { code: r.exitCode ?? null, stdout: String(r.stdout), stderr: String(r.stderr) };
    },
    async writeFile(p, contents, mode) {
      await fs.mkdir(path.dirname(under(p)), { recursive: true });
      await fs.writeFile(under(p), contents, { mode });
      await fs.chmod(under(p), mode);
    },
  };
}

/**
 * What the first controller's kubelet and the controllers would do, through the API: mirror
 * pods for static pods on disk (gone when the file is, unless the kubelet `forgets` to delete it),
 * a Running pod per self-hosted workload, except for components listed in `stuck` (left Pending).
 */
function simulateCluster(kc: KubeConfig, node: { root: string; name: string }, stuck: string[] = [], forgets: string[] = []): () => Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const ns = 'kube-system';
  let running = true;
  const registered = core.createNode({ body: { metadata: { name: node.name } } }).catch(() => {});
  const step = async () => {
    await registered;
    const pods = await listPods(kc, ns);
    const has = (name: string) => pods.some((p) => p.metadata?.name === name);
    const manifests = await fs.readdir(path.join(node.root, NODE_PATHS.staticPods)).catch(() => [] as string[]);
    for (const file of ['bootstrap-apiserver', 'bootstrap-controller-manager', 'bootstrap-scheduler']) {
      const mirror = `${file.replace('bootstrap-', 'bootstrap-kube-')}-${node.name}`;
      if (manifests.includes(`${file}.yaml`) && !has(mirror)) {
        await podWithPhase(kc, { name: mirror, namespace: ns, node: node.name, phase: 'Running', annotations: { 'kubernetes.io/config.mirror': file } });
      }
      if (!manifests.includes(`${file}.yaml`) && has(mirror) && !forgets.includes(file)) await forceDeletePod(kc, ns, mirror);
    }
    for (const ds of (await apps.listNamespacedDaemonSet({ namespace: ns })).items) {
      const name = `${ds.metadata!.name}-x7k2p`;
      if (!has(name)) await podWithPhase(kc, { name, namespace: ns, node: node.name, phase: 'Running', owner: ownerOf({ ...ds, apiVersion: 'apps/v1' }, 'DaemonSet') });
    }
    for (const d of (await apps.listNamespacedDeployment({ namespace: ns })).items) {
      const rsName = `${d.metadata!.name}-5d4f8`;
      const rs = await apps.readNamespacedReplicaSet({ name: rsName, namespace: ns }).catch(() =>
        apps.createNamespacedReplicaSet({ namespace: ns, body: { metadata: { name: rsName }, spec: { selector: d.spec!.selector, template: d.spec!.template } } }));
      const name = `${rsName}-q2w9z`;
      if (!has(name)) {
        const pod = await podWithPhase(kc, { name, namespace: ns, node: node.name, phase: 'Pending', owner: ownerOf({ ...rs, apiVersion: 'apps/v1' }, 'ReplicaSet') });
        if (!stuck.includes(d.metadata!.name!)) await setPodPhase(kc, pod, 'Running');
      }
    }
  };
  const loop = (async () => {
    while (running) {
      await step().catch(() => {});
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

/** Removes what a pivot left in the API, so each test starts from a bare envtest. */
async function resetKubeSystem(kc: KubeConfig) {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const namespace = 'kube-system';
  await core.deleteCollectionNamespacedPod({ namespace, gracePeriodSeconds: 0 });
  await apps.deleteCollectionNamespacedDaemonSet({ namespace });
  await apps.deleteCollectionNamespacedDeployment({ namespace });
  await apps.deleteCollectionNamespacedReplicaSet({ namespace });
  await core.deleteCollectionNode({});
}

const fast = { healthzIntervalMs: 100, pollIntervalMs: 200 };

apiTest.serial('bootkubeStart pivots: bootstrap files copied, manifests created, self-hosted pods Running, teardown, checkpoints, handover', async (t) => {
  const kc = loadKubeconfig(env.kubeconfig);
  const [first, second] = [await localNode('c1'), await localNode('c2')];
  const stop = simulateCluster(kc, first);
  const lines: string[] = [];
  try {
    const r = await bootkubeStart({ kc, assets, first, controllers: [first, second], log: (l) => lines.push(l), deadline: Date.now() + 50_000, intervals: fast });
    t.log(lines.join('\n'));
    t.log(JSON.stringify(r.timings));
    const messages = lines.map((l) => l.replace(/^\S+Z /, ''));
    const at = (m: string) => messages.findIndex((l) => l.startsWith(m));
    t.true(lines.every((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z /.test(l)), 'every line is timestamped');
    t.true(at('Waiting for api-server...') < at('Creating self-hosted assets...'));
    t.true(at('Creating self-hosted assets...') < at('All self-hosted control plane components successfully started'));
    t.true(at('All self-hosted control plane components successfully started') < at('Tearing down temporary bootstrap control plane...'));
    t.true(r.created.some((c) => c.object === 'DaemonSet kube-system/kube-apiserver' && c.outcome === 'created'));
    t.is(r.created.length, manifestObjects(assets).length);
    // Teardown: the bootstrap static pods and secrets are gone from the first controller.
    t.deepEqual(await fs.readdir(path.join(first.root, NODE_PATHS.staticPods)), []);
    t.false(existsSync(path.join(first.root, NODE_PATHS.bootstrapSecrets)));
    // Checkpoints on every controller, secrets private.
    for (const node of [first, second]) {
      t.is(await fs.readFile(path.join(node.root, NODE_PATHS.checkpoints, 'kube-apiserver.yaml'), 'utf8'), assets.get('checkpoints/kube-apiserver.yaml') ?? 'missing asset');
      t.is((await fs.stat(path.join(node.root, NODE_PATHS.checkpointSecrets, 'apiserver.key'))).mode & 0o777, 0o600);
    }
    t.false(existsSync(path.join(second.root, NODE_PATHS.staticPods)), 'only the first controller runs the temporary plane');
    t.true(r.evidence.includes('bootstrap pods left: none'));
    t.true(r.evidence.includes('/healthz: ok'));
    t.true(r.evidence.includes('nodes: c1'));
    for (const k of ['copyMs', 'apiUpMs', 'createMs', 'selfHostedMs', 'teardownMs', 'checkpointsMs', 'handoverMs', 'totalMs'] as const) t.true(r.timings[k] >= 0, k);
  } finally {
    await stop();
    await resetKubeSystem(kc);
  }
});

apiTest.serial('a mirror pod the kubelet never deletes after teardown is deleted by the pivot, which says so', async (t) => {
  const kc = loadKubeconfig(env.kubeconfig);
  const first = await localNode('c1');
  const stop = simulateCluster(kc, first, [], ['bootstrap-controller-manager']);
  try {
    const r = await bootkubeStart({ kc, assets, first, controllers: [first], deadline: Date.now() + 50_000, intervals: { ...fast, staleMirrorMs: 2000 } });
    t.true(r.evidence.includes('bootstrap pods left: none (the lab deleted the stale mirror pods bootstrap-kube-controller-manager-c1)'), r.evidence.join('; '));
    t.deepEqual(bootstrapPods(await listPods(kc, 'kube-system')).map((p) => p.metadata?.name), []);
  } finally {
    await stop();
    await resetKubeSystem(kc);
  }
});

/** An admin kubeconfig for an API that never comes up: nothing listens on port 1. */
function noApiKubeconfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'lab', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
    users: [{ name: 'admin' }],
    contexts: [{ name: 'lab', cluster: 'lab', user: 'admin' }],
    currentContext: 'lab',
  });
  return kc;
}

test('one deadline bounds the whole pivot: an API that never answers uses it up, the error names that phase, the temporary plane is torn down', async (t) => {
  const kc = noApiKubeconfig();
  const first = await localNode('c1');
  const lines: string[] = [];
  const start = Date.now();
  const err = await t.throwsAsync(
    bootkubeStart({ kc, assets, first, controllers: [first], log: (l) => lines.push(l), deadline: start + 1500, intervals: fast }),
    { instanceOf: WaitTimeoutError },
  );
  const took = Date.now() - start;
  // A phase's own limit would be 20 minutes; the machine's load decides how far past 1.5 s it ends.
  t.true(took >= 1400 && took < 60_000, `the pivot gave up at its deadline, not a phase's own limit: ${took} ms`);
  t.regex(err.message, /^timed out after \d+s waiting for the API server \/healthz; last seen: error: ECONNREFUSED$/);
  t.true(lines.some((l) => l.endsWith('Unable to determine api-server readiness: error: ECONNREFUSED')), 'bootkube logs what it sees');
  t.true(lines.some((l) => l.endsWith('Tearing down temporary bootstrap control plane...')));
  t.deepEqual(await fs.readdir(path.join(first.root, NODE_PATHS.staticPods)), []);
});

test('a state that lasts is logged again after quietLogMs, with how long it has lasted', async (t) => {
  const lines: string[] = [];
  await t.throwsAsync(waitForApi(noApiKubeconfig(), { deadline: Date.now() + 1500, intervalMs: 100, quietLogMs: 500 }, (l) => lines.push(l)), { instanceOf: WaitTimeoutError });
  t.is(lines[0], 'Unable to determine api-server readiness: error: ECONNREFUSED');
  const again = lines.slice(1);
  // 1.5 s of the same state, logged again every 0.5 s; a loaded machine may fit fewer polls in.
  t.true(again.length >= 1 && again.length <= 3, again.join('\n'));
  for (const line of again) t.regex(line, /^Unable to determine api-server readiness: error: ECONNREFUSED \(the same for [0-2]s\)$/);
});

test('Ctrl-C ends the pivot at once, long before its deadline, and the temporary plane is still torn down', async (t) => {
  const kc = noApiKubeconfig();
  const first = await localNode('c1');
  const lines: string[] = [];
  const interrupt = new AbortController();
  setTimeout(() => interrupt.abort(new Error('interrupted by SIGINT')), 500);
  const start = Date.now();
  const err = await t.throwsAsync(bootkubeStart({ kc, assets, first, controllers: [first], log: (l) => lines.push(l), deadline: start + 3_600_000, intervals: fast, signal: interrupt.signal }));
  t.true(Date.now() - start < 30_000, `the pivot stopped ${Date.now() - start} ms after it started`);
  t.is(err.message, 'interrupted by SIGINT');
  t.true(lines.some((l) => l.endsWith('Tearing down temporary bootstrap control plane...')));
  t.deepEqual(await fs.readdir(path.join(first.root, NODE_PATHS.staticPods)), []);
});

apiTest.serial('a pivot whose scheduler never runs times out naming the pods, and still tears down the temporary plane', async (t) => {
  const kc = loadKubeconfig(env.kubeconfig);
  const first = await localNode('c1');
  const stop = simulateCluster(kc, first, ['kube-scheduler']);
  const lines: string[] = [];
  try {
    const err = await t.throwsAsync(
      // One deadline for the whole pivot: the API is up at once here, so it runs out while the scheduler is Pending.
      bootkubeStart({ kc, assets, first, controllers: [first], log: (l) => lines.push(l), deadline: Date.now() + 8000, intervals: fast }),
      { instanceOf: LabError },
    );
    t.regex(err.message, /waiting for the self-hosted control plane pods Running; last seen: .*kube-scheduler: kube-scheduler-5d4f8-q2w9z Pending@c1/);
    t.regex(err.message, /kube-apiserver: kube-apiserver-x7k2p Running@c1/);
    t.false(lines.some((l) => l.includes('successfully started')));
    t.true(lines.some((l) => l.endsWith('Tearing down temporary bootstrap control plane...')));
    t.deepEqual(await fs.readdir(path.join(first.root, NODE_PATHS.staticPods)), []);
    t.false(existsSync(path.join(first.root, NODE_PATHS.checkpoints)), 'no checkpoint after a failed pivot');
  } finally {
    await stop();
    await resetKubeSystem(kc);
  }
});

apiTest.serial('waitForSelfHosted ignores bootstrap mirror pods and checkpoints: only workload-owned pods count', async (t) => {
  const kc = loadKubeconfig(env.kubeconfig);
  const ns = 'kube-system';
  try {
    for (const c of ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager']) {
      await podWithPhase(kc, { name: `bootstrap-${c}-c1`, namespace: ns, node: 'c1', phase: 'Running' });
    }
    await podWithPhase(kc, { name: 'kube-apiserver-checkpoint-c1', namespace: ns, node: 'c1', phase: 'Running' });
    const err = await t.throwsAsync(waitForSelfHosted(kc, { deadline: Date.now() + 500, intervalMs: 100 }, () => {}), { instanceOf: LabError });
    t.regex(err.message, /kube-apiserver: no pod; kube-scheduler: no pod; kube-controller-manager: no pod/);
    const ds = await kc.makeApiClient(AppsV1Api).createNamespacedDaemonSet({
      namespace: ns,
      body: { metadata: { name: 'kube-apiserver' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } },
    });
    const owner = ownerOf({ ...ds, apiVersion: 'apps/v1' }, 'DaemonSet');
    await podWithPhase(kc, { name: 'kube-apiserver-abcde', namespace: ns, node: 'c1', phase: 'Running', owner });
    for (const c of ['kube-scheduler', 'kube-controller-manager']) {
      await podWithPhase(kc, { name: `${c}-6b7c-xyz12`, namespace: ns, node: 'c1', phase: 'Running', owner: { ...owner, kind: 'ReplicaSet', name: `${c}-6b7c` } });
    }
    await t.notThrowsAsync(waitForSelfHosted(kc, { deadline: Date.now() + 2000, intervalMs: 100 }, () => {}));
  } finally {
    await resetKubeSystem(kc);
  }
});
