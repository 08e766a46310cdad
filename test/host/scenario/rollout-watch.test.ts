import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { FLUO_KEYS as K } from '../../../src/guard/keys.js';
import { createObjects, loadKubeconfig } from '../../../src/kube/client.js';
import { oneAtATime, budgetKept, rolloutDone, rolloutPaused, type Progress } from '../../../src/scenario/rollout-verdicts.js';
import { budgetApiVersion, startRolloutWatch, type RolloutWatch } from '../../../src/scenario/rollout-watch.js';
import { workloadObjects } from '../../../src/scenario/rollout-workload.js';
import { pending, waitFor } from '../../../src/toolkit/wait-for.js';
import { ENVTEST_NEEDS, startEnvtest, type Envtest } from '../../support/envtest.js';
import { needs } from '../../support/needs.js';
import { BUDGET, bootId, failedUpdate, goodRollout, type RolloutStep } from '../../support/rollout-sequences.js';
import { caughtUp, createNodes, nodeStatus, writeStep } from '../../support/rollout-writes.js';

/**
 * The rollout watch against a real kube-apiserver (envtest): the test writes, through the API,
 * what FLUO's agents and operator, the rollout guard, the kubelets and the disruption controller
 * would write in a rollout over three nodes, then a failed update, then a second node let go
 * while the first holds the slot; the watch must note every change as one line, in order, and
 * its verdicts must read the rollout right. It reaches the API through a relay the test can cut,
 * as the controller's reboot cuts it.
 */

const test = needs(...ENVTEST_NEEDS);

const NODES = ['node1', 'node2', 'node3'];
let env: Envtest | undefined;
let kc: KubeConfig;
let watch: RolloutWatch;
let budgetVersion: string;
let relay: Relay;
const lines: string[] = [];
let failed = false;

const core = () => kc.makeApiClient(CoreV1Api);
const write = (step: RolloutStep) => writeStep(kc, step, budgetVersion);

/**
 * A TCP relay to the apiserver that can be cut (its connections reset, new ones refused) or hung
 * (nothing moves on its connections, new ones are taken and never answered: a controller that
 * rebooted under them), until restored; a hung connection stays hung.
 */
interface Relay {
  url: string;
  cut(): void;
  hang(): void;
  restore(): void;
  close(): Promise<void>;
}

async function startRelay(to: URL): Promise<Relay> {
  let mode: 'up' | 'cut' | 'hung' = 'up';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    if (mode === 'cut') return void client.destroy();
    if (mode === 'hung') {
      sockets.add(client);
      client.on('close', () => sockets.delete(client)).on('error', () => client.destroy());
      return;
    }
    const upstream = net.connect(Number(to.port), to.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s)).on('error', () => (client.destroy(), upstream.destroy()));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dropAll = () => sockets.forEach((s) => s.destroy());
  return {
    url: `https://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    cut: () => {
      mode = 'cut';
      dropAll();
    },
    hang: () => {
      mode = 'hung';
      for (const s of sockets) s.unpipe().pause();
    },
    restore: () => void (mode = 'up'),
    close: async () => {
      dropAll();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The watch's lines without their times, from `from` on, those about `who` only. */
const noted = (from: number, who?: string) => lines.slice(from).map((l) => l.slice(l.indexOf(' ') + 1)).filter((l) => !who || l.startsWith(`${who} `));

async function until(what: string, judge: () => Progress): Promise<string> {
  return waitFor(
    what,
    async () => {
      const p = judge();
      if (p.state === 'failed') throw new Error(p.problem);
      return p.state === 'done' ? p.finding : pending(p.now);
    },
    { deadline: Date.now() + 30_000, intervalMs: 200, evidence: () => [lines.join('\n')] },
  );
}

test.before(async () => {
  env = await startEnvtest();
  kc = loadKubeconfig(env.kubeconfig);
  await createNodes(kc, NODES, '1.0.0', 1);
  // The workload's objects as the scenario makes them (nothing runs its pods here); the test writes its budget's status.
  budgetVersion = await budgetApiVersion(kc);
  await createObjects(kc, workloadObjects({ replicas: 3, minAvailable: 2, image: 'metal-lab.local/busybox:1', budgetApiVersion: budgetVersion, probeTimeoutS: 1 }));
  await write({ budget: { currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 1 } });
  relay = await startRelay(new URL(env.url));
  const viaRelay = path.join(path.dirname(env.kubeconfig), 'watch.kubeconfig');
  await writeFile(viaRelay, (await readFile(env.kubeconfig, 'utf8')).replace(env.url, relay.url), { mode: 0o600 });
  watch = await startRolloutWatch(loadKubeconfig(viaRelay), (line) => lines.push(line), Date.now() + 30_000);
});

test.afterEach.always((t) => {
  failed ||= !t.passed;
});

test.after.always(async () => {
  if (failed) console.log(`rollout-watch.test.ts: the watch's lines:\n${lines.join('\n')}`);
  const started = performance.now();
  await watch?.stop();
  console.log(`rollout-watch.test.ts: the watch stopped in ${Math.round(performance.now() - started)} ms`);
  await relay?.close();
  await env?.stop();
});

test.serial('the watch starts from what it lists: every node and the budget, one line each', (t) => {
  // Nodes and budgets are listed at once, each in its own order.
  t.deepEqual(noted(0).sort(), [
    'node1 seen: reboot-needed=false status=UPDATE_STATUS_IDLE label/reboot-needed=false label/version=1.0.0 Ready=True bootID=boot-node1-1',
    'node2 seen: reboot-needed=false status=UPDATE_STATUS_IDLE label/reboot-needed=false label/version=1.0.0 Ready=True bootID=boot-node2-1',
    'node3 seen: reboot-needed=false status=UPDATE_STATUS_IDLE label/reboot-needed=false label/version=1.0.0 Ready=True bootID=boot-node3-1',
    `pdb ${BUDGET} seen: currentHealthy=3 desiredHealthy=2 disruptionsAllowed=1`,
  ]);
});

test.serial('a rollout of 2.0.0, one node at a time: every write a line, in order, and the verdicts read it', async (t) => {
  const from = lines.length;
  watch.record.publish(Date.now(), '2.0.0', 'stable');
  const started = performance.now();
  for (const step of goodRollout(NODES, '1.0.0', '2.0.0')) await write(step);
  await caughtUp(kc, watch.record, budgetVersion);
  t.log(await until('the rollout of 2.0.0 to be done', () => rolloutDone(watch.record, NODES, '2.0.0')));
  t.log(`${goodRollout(NODES, '1.0.0', '2.0.0').length} writes seen in ${Math.round(performance.now() - started)} ms`);

  t.deepEqual(noted(from, 'node2'), [
    'node2 label/reboot-needed: false -> true',
    'node2 new-version: unset -> 2.0.0',
    'node2 reboot-needed: false -> true',
    'node2 status: UPDATE_STATUS_IDLE -> UPDATE_STATUS_UPDATED_NEED_REBOOT',
    'node2 label/before-reboot: unset -> true',
    'node2 rollout-guard.before-reboot: unset -> true',
    'node2 rollout-guard.from-version: unset -> 1.0.0',
    'node2 rollout-guard.to-version: unset -> 2.0.0',
    'node2 label/before-reboot: true -> unset',
    'node2 reboot-ok: unset -> true',
    'node2 rollout-guard.before-reboot: true -> unset',
    'node2 reboot-in-progress: unset -> true',
    'node2 unschedulable: unset -> true',
    'node2 Ready: True -> Unknown',
    'node2 Ready: Unknown -> True',
    'node2 bootID: boot-node2-1 -> boot-node2-2',
    'node2 label/reboot-needed: true -> false',
    'node2 label/version: 1.0.0 -> 2.0.0',
    'node2 reboot-in-progress: true -> false',
    'node2 reboot-needed: true -> false',
    'node2 status: UPDATE_STATUS_UPDATED_NEED_REBOOT -> UPDATE_STATUS_IDLE',
    'node2 label/after-reboot: unset -> true',
    'node2 rollout-guard.after-reboot: unset -> true',
    'node2 rollout-guard.from-version: 1.0.0 -> unset',
    'node2 rollout-guard.to-version: 2.0.0 -> unset',
    'node2 label/after-reboot: true -> unset',
    'node2 reboot-ok: true -> false',
    'node2 rollout-guard.after-reboot: true -> unset',
    'node2 unschedulable: true -> unset',
  ]);
  t.deepEqual(noted(from, 'pdb'), Array.from({ length: 3 }, () => [
    `pdb ${BUDGET} currentHealthy: 3 -> 2`, `pdb ${BUDGET} disruptionsAllowed: 1 -> 0`,
    `pdb ${BUDGET} currentHealthy: 2 -> 3`, `pdb ${BUDGET} disruptionsAllowed: 0 -> 1`,
  ]).flat());
  const at = lines.map((l) => Date.parse(l.slice(0, l.indexOf(' '))));
  t.deepEqual(at, [...at].sort((a, b) => a - b), 'the lines are in the order they happened');

  const turns = oneAtATime(watch.record);
  t.true(turns.ok);
  t.regex((turns as { finding: string }).finding, /^one node at a time out of service: node1 [\d:.]+-[\d:.]+, node2 [\d:.]+-[\d:.]+, node3 [\d:.]+-[\d:.]+$/);
  const kept = budgetKept(watch.record, BUDGET);
  t.true(kept.ok);
  t.regex((kept as { finding: string }).finding, /^PodDisruptionBudget rollout-workload\/web kept: never below 2 healthy of 2 desired \(first at [\d:.]+\)$/);
});

test.serial('3.0.0 cannot boot: the first node comes back on 2.0.0, the guard marks it and pauses the others, and the rollout reads paused', async (t) => {
  const from = lines.length;
  watch.record.publish(Date.now(), '3.0.0', 'stable');
  for (const step of failedUpdate(NODES, '2.0.0', '3.0.0', 2)) await write(step);
  await caughtUp(kc, watch.record, budgetVersion);
  const finding = await until('the rollout of 3.0.0 to be paused', () => rolloutPaused(watch.record, NODES, '3.0.0'));
  t.regex(finding, /^node1 failed 3\.0\.0: back on 2\.0\.0 after rebooting at [\d:.]+, marked update-failed at [\d:.]+; paused for it: node2 at [\d:.]+, node3 at [\d:.]+; no other node took 3\.0\.0$/);
  t.deepEqual(noted(from, 'node3'), [
    'node3 label/reboot-needed: false -> true',
    'node3 new-version: 2.0.0 -> 3.0.0',
    'node3 reboot-needed: false -> true',
    'node3 status: UPDATE_STATUS_IDLE -> UPDATE_STATUS_UPDATED_NEED_REBOOT',
    'node3 reboot-paused: unset -> true',
    'node3 rollout-guard.paused-for: unset -> node1',
  ]);
  t.true(noted(from, 'node1').includes('node1 rollout-guard.update-failed: unset -> 3.0.0'));
  t.true(oneAtATime(watch.record).ok, 'the failed node keeps its slot, alone');
  t.true(budgetKept(watch.record, BUDGET).ok);
  t.is(rolloutDone(watch.record, NODES, '3.0.0').state, 'failed', 'and 3.0.0 is never done');
});

test.serial('while the API is away the watch lists again every 2 s; what changed meanwhile is noted when it answers', async (t) => {
  const from = lines.length;
  relay.cut();
  await waitFor('the watch to lose the API', async () => noted(from).some((l) => l.startsWith('api: following nodes failed')) || pending(noted(from).join('; ')), { deadline: Date.now() + 30_000, intervalMs: 200 });
  // node2's update engine checks again, and its kubelet goes away and comes back with the same boot.
  await write({ node: 'node2', annotations: { [K.status]: 'UPDATE_STATUS_CHECKING_FOR_UPDATE' } });
  await nodeStatus(kc, 'node2', 'Unknown', bootId('node2', 2));
  await nodeStatus(kc, 'node2', 'True', bootId('node2', 2));
  relay.restore();
  await caughtUp(kc, watch.record, budgetVersion);
  const seen = noted(from);
  const lost = seen.findIndex((l) => /^api: following nodes failed \(.+\); listing again every 2s$/.test(l));
  t.true(lost >= 0, seen.join('\n'));
  t.true(seen.some((l) => l.startsWith('api: following pdbs failed')));
  const back = seen.findIndex((l) => /^api: nodes listed again after \d+s$/.test(l));
  t.true(back > lost, seen.join('\n'));
  t.deepEqual(seen.slice(back + 1).filter((l) => l.startsWith('node')), ['node2 status: UPDATE_STATUS_UPDATED_NEED_REBOOT -> UPDATE_STATUS_CHECKING_FOR_UPDATE'], 'Ready=Unknown in between was never seen');
  await write({ node: 'node2', annotations: { [K.status]: 'UPDATE_STATUS_UPDATED_NEED_REBOOT' } });
  await caughtUp(kc, watch.record, budgetVersion);
  t.is(noted(from).at(-1), 'node2 status: UPDATE_STATUS_CHECKING_FOR_UPDATE -> UPDATE_STATUS_UPDATED_NEED_REBOOT', 'and it follows again');
});

test.serial('a list the API takes and never answers fails after 30 s and is sent again; the watch follows on', async (t) => {
  // The stalled watch ends at its own limit (90 s), then the list on a new connection hangs.
  t.timeout(240_000);
  const from = lines.length;
  relay.hang();
  await waitFor('the hung list to fail', async () => noted(from).some((l) => l.startsWith('api: following nodes failed')) || pending(noted(from).join('; ')), { deadline: Date.now() + 180_000, intervalMs: 500 });
  relay.restore();
  await write({ node: 'node3', annotations: { [K.status]: 'UPDATE_STATUS_CHECKING_FOR_UPDATE' } });
  await caughtUp(kc, watch.record, budgetVersion);
  const seen = noted(from);
  t.true(seen.some((l) => /^api: following nodes failed \(no answer to the list of nodes in 30s\); listing again every 2s$/.test(l)), seen.join('\n'));
  t.true(seen.some((l) => /^api: nodes listed again after \d+s$/.test(l)), seen.join('\n'));
  t.true(seen.some((l) => l.startsWith('node3 status: ') && l.endsWith(' -> UPDATE_STATUS_CHECKING_FOR_UPDATE')), 'and it follows again');
});

test.serial('a second node allowed to reboot while the failed one holds the slot fails one-at-a-time; a deleted node is gone', async (t) => {
  await write({ node: 'node2', annotations: { [K.rebootOk]: 'true' } });
  await core().deleteNode({ name: 'node3' });
  await caughtUp(kc, watch.record, budgetVersion);
  t.is(noted(0).at(-1), 'node3 gone');
  const v = oneAtATime(watch.record);
  t.false(v.ok);
  t.regex((v as { problem: string }).problem, /^node1 and node2 were out of service at once at ([\d:.]+): node1 cordoned, reboot-ok since [\d:.]+; node2 reboot-ok since \1$/);
});
