import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import type { KubeConfig } from '@kubernetes/client-node';
import { FLUO_KEYS as K } from '../../../src/guard/keys.js';
import { hostLayout } from '../../../src/ground/host-layout.js';
import { createObjects, loadKubeconfig } from '../../../src/kube/client.js';
import { pkiLayout } from '../../../src/pki/files.js';
import { RELEASE_KEY } from '../../../src/pki/plan.js';
import { Secret } from '../../../src/pki/secret.js';
import { rsaPublicPem } from '../../../src/pki/x509.js';
import { channelDir } from '../../../src/release/manifest.js';
import { publishRelease } from '../../../src/release/publish.js';
import { channelRelease } from '../../../src/release/read.js';
import { RunReport } from '../../../src/report/run-report.js';
import { LAB_CHECK_FNS } from '../../../src/scenario/checks.js';
import type { ScenarioContext } from '../../../src/scenario/context.js';
import { EvidenceError } from '../../../src/scenario/evidence.js';
import { cannotBoot } from '../../../src/scenario/publish-broken.js';
import { publishStep } from '../../../src/scenario/publish.js';
import { stopRollout, waitRollout, watchRollout } from '../../../src/scenario/rollout-steps.js';
import { budgetApiVersion } from '../../../src/scenario/rollout-watch.js';
import { workloadObjects } from '../../../src/scenario/rollout-workload.js';
import { loadLab } from '../../../src/spec/lab.js';
import { ENVTEST_NEEDS, startEnvtest, type Envtest } from '../../support/envtest.js';
import { needs, packageFile, program } from '../../support/needs.js';
import { failedUpdate, type RolloutStep } from '../../support/rollout-sequences.js';
import { caughtUp, createNodes, writeStep } from '../../support/rollout-writes.js';
import { testKey } from '../../support/test-keys.js';
import { usrImage } from '../../support/usr-image.js';

/**
 * The update scenario's steps as the runner calls them, on the update lab's files in a temp state
 * dir and a real kube-apiserver (envtest) standing in for its cluster: `watch: rollout`, then
 * `publish` of a 3.0.0 that cannot boot, derived from the 2.0.0 the channel serves and signed
 * with the lab's release key, then the writes of a failed update, `wait: rollout-paused`, the
 * rollout checks, and the timeline file they leave in the artifacts.
 */

const test = needs(...ENVTEST_NEEDS, program('mkfs.ext4', 'e2fsprogs'), packageFile('/usr/sbin/debugfs', 'e2fsprogs'));

const NODES = ['node1', 'node2', 'node3'];
let env: Envtest | undefined;
let kc: KubeConfig;
let home: string;
let ctx: ScenarioContext;
let budgetVersion: string;

const write = (step: RolloutStep) => writeStep(kc, step, budgetVersion);
const timeline = async () => (await readFile(ctx.rollout!.file, 'utf8')).trimEnd().split('\n').map((l) => l.slice(l.indexOf(' ') + 1));

test.before(async () => {
  home = await mkdtemp(path.join(os.tmpdir(), 'rollout-steps-test-'));
  env = await startEnvtest();
  kc = loadKubeconfig(env.kubeconfig);
  const host = hostLayout({ METAL_LAB_HOME: path.join(home, 'state'), METAL_LAB_CACHE: path.join(home, 'cache') });
  const lab = await loadLab('lab/update.yaml');
  const paths = host.lab(lab.id);
  // What `up --boot install` leaves that a publish reads: the lab's state file and its release key.
  await mkdir(paths.pki, { recursive: true });
  await writeFile(paths.state, '{}\n');
  const key = await testKey();
  await writeFile(pkiLayout(paths.pki).key(RELEASE_KEY), key, { mode: 0o600 });
  await writeFile(pkiLayout(paths.pki).publicKey(RELEASE_KEY), rsaPublicPem(key)!);
  // What an earlier publish left on the channel, and what the nodes run.
  const v2 = await usrImage(home, '2.0.0');
  await publishRelease({ assetsDir: paths.matchboxAssets, channel: 'stable', version: '2.0.0', payloadFile: v2, key: new Secret(key) });
  await createNodes(kc, NODES, '2.0.0', 2);
  budgetVersion = await budgetApiVersion(kc);
  await createObjects(kc, workloadObjects({ replicas: 3, minAvailable: 2, image: 'metal-lab.local/busybox:1', budgetApiVersion: budgetVersion, probeTimeoutS: 1 }));
  await write({ budget: { currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 1 } });
  const report = new RunReport({ artifactsDir: path.join(home, 'artifacts'), lab: lab.id, scenario: 'update', quiet: true });
  ctx = { lab, host, paths, report, clock: { stretchMs: () => 0 }, timeoutScale: 1, boot: 'install', poweredOff: new Set(), linkDown: new Set(), etcdKeys: new Map(), published: new Map(), kube: { assetDir: paths.bootkube, kc } };
});

test.after.always(async () => {
  if (ctx) await stopRollout(ctx);
  await env?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

test.serial('watch: rollout lists the nodes and the budget into rollout-timeline.txt in the artifacts', async (t) => {
  t.is(await watchRollout(ctx), `following 3 nodes and 1 PodDisruptionBudgets into ${path.join(home, 'artifacts', 'rollout-timeline.txt')}, reboot-coordinator's pod logs into ${path.join(home, 'artifacts', 'pods')}`);
  t.deepEqual((await timeline()).map((l) => l.slice(0, l.indexOf(':'))).sort(), ['node1 seen', 'node2 seen', 'node3 seen', 'pdb rollout-workload/web seen']);
});

test.serial('publish of a broken 3.0.0: derived from the 2.0.0 the channel serves, signed, served, noted in the timeline', async (t) => {
  const finding = await publishStep(ctx, { kind: 'publish', version: '3.0.0', broken: true });
  t.regex(finding, /^3\.0\.0 \(2\.0\.0's \/usr with an init that exits at once\) on channel stable: labos-3\.0\.0\.img, 67108864 bytes, at http:\/\/172\.25\.0\.1:8080\/assets\/releases\/stable\/$/);
  const { matchboxAssets } = ctx.paths;
  const served = await channelRelease(matchboxAssets, 'stable', await readFile(pkiLayout(ctx.paths.pki).publicKey(RELEASE_KEY), 'utf8'));
  t.like(served, { manifest: { version: '3.0.0', payload: 'labos-3.0.0.img' }, signed: true, problems: [] });
  const payload = path.join(channelDir(matchboxAssets, 'stable'), 'labos-3.0.0.img');
  t.regex((await execa('debugfs', ['-R', 'cat /lib/systemd/systemd', payload])).stdout, new RegExp(cannotBoot('3.0.0').replaceAll('.', '\\.')));
  t.regex((await execa('debugfs', ['-R', 'cat /lib/os-release', payload])).stdout, /^VERSION=3\.0\.0$/m);
  t.false(existsSync(path.join(channelDir(matchboxAssets, 'stable'), 'labos-2.0.0.img')), 'the channel serves one release');
  t.deepEqual((await readdir(ctx.paths.root)).filter((f) => f.startsWith('broken-release-')), [], 'the derived image is gone once published');
  t.is((await timeline()).at(-1), 'published 3.0.0 on channel stable');
  t.true(ctx.rollout!.watch!.record.published.has('3.0.0'));
});

test.serial('the failed update: rollout-paused is reached, rollout-done of 3.0.0 fails at once, the checks pass', async (t) => {
  for (const step of failedUpdate(NODES, '2.0.0', '3.0.0', 2)) await write(step);
  t.regex(await waitRollout(ctx, { kind: 'rollout', until: 'paused', version: '3.0.0', timeoutS: 30 }), /^node1 failed 3\.0\.0: back on 2\.0\.0 .*; no other node took 3\.0\.0$/);
  const started = performance.now();
  const err = await t.throwsAsync(waitRollout(ctx, { kind: 'rollout', until: 'done', version: '3.0.0', timeoutS: 30 }), { instanceOf: EvidenceError });
  t.true(performance.now() - started < 5000, 'a verdict that cannot change ends the wait at once');
  t.regex(err!.message, /^node1 failed its update to 3\.0\.0: the guard marked it update-failed at [\d:.]+ \(node1 on 2\.0\.0/);
  t.deepEqual(err!.evidence, [ctx.rollout!.file]);
  t.regex(await LAB_CHECK_FNS['one-at-a-time'](ctx), /^one node at a time out of service: node1 [\d:.]+-on$/);
  t.regex(await LAB_CHECK_FNS['budget-kept'](ctx), /^PodDisruptionBudget rollout-workload\/web kept: never below 2 healthy of 2 desired/);
});

test.serial('a second node let go fails one-at-a-time, citing the timeline, which has every change', async (t) => {
  await write({ node: 'node2', annotations: { [K.rebootOk]: 'true' } });
  await caughtUp(kc, ctx.rollout!.watch!.record, budgetVersion);
  const err = await t.throwsAsync(LAB_CHECK_FNS['one-at-a-time'](ctx), { instanceOf: EvidenceError });
  t.regex(err!.message, /^node1 and node2 were out of service at once at [\d:.]+: node1 cordoned, reboot-ok since [\d:.]+; node2 reboot-ok since [\d:.]+$/);
  t.deepEqual(err!.evidence, [ctx.rollout!.file]);
  await stopRollout(ctx);
  const lines = await timeline();
  t.is(lines.at(-1), 'node2 reboot-ok: unset -> true');
  t.true(lines.includes('node1 rollout-guard.update-failed: unset -> 3.0.0'));
  t.true(lines.includes('node3 rollout-guard.paused-for: unset -> node1'));
});
