import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppsV1Api, CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { FLUO_KEYS as K, GUARD_KEYS as G, OPERATOR_HOOK_FLAGS, OVERDUE_CONDITION } from '../../src/guard/keys.js';
import { NAMESPACE } from '../../src/render/update-operator/rbac.js';
import { pending, waitFor } from '../../src/toolkit/wait-for.js';
import { ENVTEST_NEEDS, forceDeletePod, ownerOf, podWithPhase } from '../support/envtest.js';
import { backUp, cordoned, needsReboot, nodeMeta as node, patchNode as patch, readNodes, rebootStarted, waitNodes as waitNodesOf, type NodeChange, type Nodes } from '../support/fluo-nodes.js';
import { fluoSource } from '../support/fluo.js';
import { needs, program } from '../support/needs.js';
import { operatorFixture, type OperatorFixture } from '../support/operator-fixture.js';
import { startGuard, type GuardProcess } from '../support/rollout-guard.js';
import { startSteppingProxy, type SteppingProxy } from '../support/stepping-proxy.js';
import { OPERATOR_NEEDS, PASS_MS, startOperator, type OperatorRun } from '../support/update-operator.js';

/**
 * The rollout guard (src/guard/) steering FLUO's real update-operator, started with the guard's
 * hook flags, against a real kube-apiserver (envtest), with this file playing every update-agent
 * and kubelet. One rollout over four nodes, 1.0.0 to 2.0.0, each step starting where the last
 * left the nodes: node-a is held on a PodDisruptionBudget, then drained by the guard (FLUO#188)
 * through a refused eviction and a budget that blocks mid-drain, and reboots fine; FLUO's race
 * selects node-b while node-a still has reboot-ok and the guard holds and pauses it, through a
 * restart of the guard; node-b is overdue, then comes back on 1.0.0, which pauses the rollout
 * until an admin resumes it and node-c goes next. Every look checks the guard's promise: at most
 * one node past it, a node it cordons counted. About 11 operator passes of 30 s.
 */

const test = needs(...ENVTEST_NEEDS, ...OPERATOR_NEEDS, fluoSource, program('go', 'golang-go'));

const NODES = ['node-a', 'node-b', 'node-c', 'node-d'];
const [FROM, TO] = ['1.0.0', '2.0.0'];
const SHOP = 'shop';
/** Longer than a pass: node-a, back a pass after its reboot-ok, is not overdue. */
const OVERDUE_S = 45;
/** A wait across `passes` of the operator's loop: beside a VM lab one pass itself took up to 40 s. */
const passes = (n: number) => n * (PASS_MS + 20_000) + 15_000;

let fx: OperatorFixture | undefined;
let kc: KubeConfig;
let failed = false;
const started = performance.now();
const AFTER_A_FAILURE = 'not run: an earlier step failed, and this one starts where that one left the nodes';
let op: OperatorRun;
let guard: GuardProcess;
/** Between the operator and the apiserver. */
let proxy: SteppingProxy;

const core = () => kc.makeApiClient(CoreV1Api);
const patchNode = (name: string, change: NodeChange) => patch(kc, name, change);
const launchGuard = () =>
  startGuard(['--kubeconfig', fx!.env.kubeconfig, '--overdue', `${OVERDUE_S}s`, '--interval', '1s', '--namespace', NAMESPACE], path.join(fx!.logDir, 'rollout-guard.log'), fx!.scope);

/** Past the guard: drained by it (the test's agents cordon nothing), let go by it, or allowed to reboot. Never more than one. */
const pastGuard = (ns: Nodes) =>
  [...ns.keys()].filter((n) => cordoned(ns, n) || node(ns, n).annotations[K.rebootOk] === 'true' || node(ns, n).annotations[G.beforeHook] === 'true');
/** Cordoned by the guard: unschedulable, with its mark. */
const guardCordoned = (ns: Nodes, name: string) => cordoned(ns, name) && node(ns, name).annotations[G.cordoned] !== undefined;

async function waitNodes(what: string, done: (ns: Nodes) => boolean, timeoutMs = passes(2)): Promise<Nodes> {
  return waitNodesOf(kc, what, done, {
    invariant: (ns) => (pastGuard(ns).length > 1 ? `more than one node past the guard: ${pastGuard(ns).join(', ')}` : undefined),
    state: (ns) => `past the guard: ${pastGuard(ns).join(', ') || 'none'}`,
    timeoutMs,
    evidence: () => [op?.logFile ?? '', guard?.logFile ?? ''],
  });
}

/** The messages of the node's Events with this reason. */
async function events(name: string, reason: string): Promise<string[]> {
  const list = await core().listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${name},reason=${reason}` });
  return list.items.map((e) => e.message ?? '');
}

const overdueStatus = async (name: string) => (await core().readNode({ name })).status?.conditions?.find((c) => c.type === OVERDUE_CONDITION)?.status;

/**
 * envtest runs no controller-manager, so no disruption controller: the test writes a budget's
 * status itself through the status subresource, as that controller would from the pods it counts.
 */
const budgets = () => kc.makeApiClient(CustomObjectsApi);
const BUDGET_API = { group: 'policy', version: 'v1beta1', plural: 'poddisruptionbudgets' } as const;

async function budget(namespace: string, name: string, app: string, healthy: number): Promise<void> {
  await budgets().createNamespacedCustomObject({ ...BUDGET_API, namespace, body: { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { minAvailable: 1, selector: { matchLabels: { app } } } } });
  await budgetStatus(namespace, name, healthy);
}

/** What the disruption controller writes for one pod to stay up with `healthy` pods up, having seen the budget's spec at `generation`. */
async function budgetStatus(namespace: string, name: string, healthy: number, generation = 1): Promise<void> {
  const status = { disruptionsAllowed: Math.max(0, healthy - 1), currentHealthy: healthy, desiredHealthy: 1, expectedPods: healthy, observedGeneration: generation };
  await budgets().patchNamespacedCustomObjectStatus({ ...BUDGET_API, namespace, name, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

/**
 * A web pod Running and Ready on `nodeName`, as its kubelet reports it: the Eviction API weighs
 * only a ready pod against its budget (Kubernetes 1.20 evicts an unready one while the budget is
 * met).
 */
async function webPod(name: string, nodeName: string): Promise<void> {
  const rs = await kc.makeApiClient(AppsV1Api).readNamespacedReplicaSet({ name: 'web', namespace: SHOP });
  const pod = await podWithPhase(kc, { name, namespace: SHOP, node: nodeName, phase: 'Running', owner: ownerOf(rs, 'ReplicaSet'), labels: { app: 'web' } });
  pod.status = { ...pod.status, conditions: [{ type: 'Ready', status: 'True' }] };
  await core().replaceNamespacedPodStatus({ name, namespace: SHOP, body: pod });
}

test.before(async () => {
  fx = await operatorFixture('rollout-guard', [NAMESPACE, SHOP]);
  kc = fx.kc;
  for (const name of NODES) {
    await core().createNode({
      body: { metadata: { name, labels: { ...needsReboot.labels, [K.version]: FROM }, annotations: { ...needsReboot.annotations, [K.newVersion]: TO } } },
    });
    // Its kubelet's report: the guard releases a node back from its reboot only once Ready.
    const n = await core().readNode({ name });
    n.status = { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }] };
    await core().replaceNodeStatus({ name, body: n });
  }
  // A web shop of one pod, on node-a, whose budget keeps one up; and the operator's own pod on
  // node-a with a budget that never allows a disruption: the guard's namespace must not hold it.
  await kc.makeApiClient(AppsV1Api).createNamespacedReplicaSet({
    namespace: SHOP,
    body: { metadata: { name: 'web' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'metal-lab.local/pause:v1.20.2' }] } } } },
  });
  await webPod('web-1', 'node-a');
  await budget(SHOP, 'web', 'web', 1);
  await podWithPhase(kc, { name: 'update-operator', namespace: NAMESPACE, node: 'node-a', phase: 'Running', labels: { app: 'update-operator' } });
  await budget(NAMESPACE, 'update-operator', 'update-operator', 1);

  proxy = await startSteppingProxy(new URL(fx.env.url));
  fx.scope.teardown(() => proxy.close());
  const viaProxy = path.join(fx.logDir, 'operator.kubeconfig');
  await writeFile(viaProxy, (await readFile(fx.env.kubeconfig, 'utf8')).replace(fx.env.url, proxy.url), { mode: 0o600 });

  guard = await launchGuard();
  op = startOperator({ bin: fx.bin, kubeconfig: viaProxy, namespace: NAMESPACE, identity: 'op-guarded', logDir: fx.logDir, args: OPERATOR_HOOK_FLAGS }, fx.scope);
});

test.afterEach.always((t) => {
  failed ||= !t.passed;
});

test.after.always(async () => {
  await fx?.finish(failed);
  console.log(`rollout-guard.test.ts: ${Math.round((performance.now() - started) / 1000)}s in all`);
});

test.serial('PDB hold (FLUO#188): a node whose drain would break a budget is held uncordoned with an Event naming it', async (t) => {
  await waitNodes('node-a to be selected (before-reboot)', (s) => node(s, 'node-a').labels[K.beforeReboot] === 'true');
  await waitFor('the guard to hold node-a with an Event', async () => (await events('node-a', 'RebootHeld'))[0] ?? pending('no RebootHeld event'), { deadline: Date.now() + 15_000 });
  const [held] = await events('node-a', 'RebootHeld');
  t.regex(held!, /PodDisruptionBudget shop\/web: it allows 0 disruptions and 1 of its pods are on this node/);
  t.notRegex(held!, /update-operator/, "the operator's own budget, in the guard's namespace, holds nothing (FLUO#123)");

  await op.passAfter(op.mark(), passes(2));
  const ns = await readNodes(kc);
  t.is(node(ns, 'node-a').labels[K.beforeReboot], 'true', 'a whole pass later it is still held');
  t.is(node(ns, 'node-a').annotations[K.rebootOk], undefined);
  t.false(cordoned(ns, 'node-a'), 'a node held before its drain is not cordoned');
});

test.serial('the guard drains node-a itself (FLUO#188): cordoned, an eviction refused (429) and a budget blocking mid-drain keep it held, its hook only once it is empty', async (t) => {
  if (failed) return t.fail(AFTER_A_FAILURE);
  // The shop scales to two, web-2 on node-d, and the disruption controller counts one disruption
  // allowed; then the shop's owner switches the budget to maxUnavailable 1, which that controller
  // has yet to see (observedGeneration behind): the guard reads one disruption allowed, and the
  // Eviction API refuses it with a 429, as it refuses every eviction while a budget is unprocessed.
  await webPod('web-2', 'node-d');
  await budgets().patchNamespacedCustomObject({ ...BUDGET_API, namespace: SHOP, name: 'web', body: { spec: { minAvailable: null, maxUnavailable: 1 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  await budgetStatus(SHOP, 'web', 2);
  let ns = await waitNodes('node-a cordoned by the guard', (s) => guardCordoned(s, 'node-a'), 15_000);
  t.is(node(ns, 'node-a').annotations[G.held], undefined);
  await waitFor('the Eviction API to refuse web-1', async () => (/evict shop\/web-1: HTTP 429/.test(readFileSync(guard.logFile, 'utf8')) ? true : pending('no 429 logged')), { deadline: Date.now() + 15_000 });
  const web1 = () => core().readNamespacedPod({ name: 'web-1', namespace: SHOP });
  t.is((await web1()).metadata?.deletionTimestamp, undefined, 'web-1 runs on');

  // The controller catches up, and finds web-2 not ready: no disruption allowed. The node stays
  // cordoned and held, and says which budget.
  await budgetStatus(SHOP, 'web', 1, 2);
  const mid = 'cordoned, its drain waits on PodDisruptionBudget shop/web: it allows 0 disruptions and 1 of its pods are on this node';
  ns = await waitNodes('node-a held on the budget mid-drain', (s) => node(s, 'node-a').annotations[G.held] === mid, 15_000);
  t.true(guardCordoned(ns, 'node-a'));
  t.is(node(ns, 'node-a').annotations[G.beforeHook], undefined);
  const told = await events('node-a', 'RebootHeld');
  t.is(told.length, 2, 'a Warning for the new reason, and only for it');
  t.true(told.includes(mid));

  // web-2 ready again: the guard evicts web-1. With no kubelet it stays terminating (its grace
  // period), and on the node: node-a must not be let go while it is.
  await budgetStatus(SHOP, 'web', 2, 2);
  await waitFor('web-1 evicted', async () => ((await web1()).metadata?.deletionTimestamp ? true : pending('web-1 not terminating')), { deadline: Date.now() + 15_000 });
  // Three of the guard's 1 s passes.
  await sleep(3000);
  ns = await readNodes(kc);
  t.is(node(ns, 'node-a').annotations[G.beforeHook], undefined, 'no hook while web-1 terminates');
  t.is(node(ns, 'node-a').annotations[G.held], undefined, 'not held: draining');

  // Its kubelet, playing its part: the containers are gone.
  await forceDeletePod(kc, SHOP, 'web-1');
  ns = await waitNodes('node-a to be allowed to reboot', (s) => node(s, 'node-a').annotations[K.rebootOk] === 'true');
  t.true(guardCordoned(ns, 'node-a'), 'the guard keeps its cordon through the reboot: the agent leaves one it did not make');
  t.is(node(ns, 'node-a').annotations[G.fromVersion], FROM);
  t.is(node(ns, 'node-a').annotations[G.toVersion], TO);
  t.deepEqual(await events('node-a', 'RebootAllowed'), [`drained: may reboot into ${TO}`]);
  const operatorPod = await core().readNamespacedPod({ name: 'update-operator', namespace: NAMESPACE });
  t.is(operatorPod.metadata?.deletionTimestamp, undefined, "the guard's namespace is not evicted (FLUO#123)");
});

test.serial("one at a time: FLUO's race selects node-b while node-a still has reboot-ok, and the guard holds and pauses node-b", async (t) => {
  if (failed) return t.fail(AFTER_A_FAILURE);
  await patchNode('node-a', rebootStarted);
  // The race (update-operator.test.ts): node-a's agent reports back after the operator's
  // after-reboot marking read the nodes (its step 3) and before its selection does (step 5), in
  // one pass. The operator talks to the apiserver through a proxy that holds its requests: the
  // test lets them through one by one until the operator has logged step 3's count, reports for
  // the agent while step 4's request waits, and lets the operator go on.
  const mark = op.mark();
  const deadline = Date.now() + passes(1);
  proxy.hold();
  try {
    for (;;) {
      const waits = await proxy.waiting(1000);
      // The operator logs step 3's count before it sends step 4's request: what waits while
      // the count is not logged yet was sent before, and may go.
      if (op.lineSince(mark, /Found \d+ rebooted nodes/)) break;
      if (Date.now() > deadline) throw new Error(`the operator reached no step 3 within ${passes(1) / 1000}s`);
      if (waits) proxy.release();
    }
    await patchNode('node-a', { labels: { ...backUp.labels, [K.version]: TO }, annotations: backUp.annotations });
  } finally {
    proxy.open();
  }
  const pass = await op.passAfter(mark, passes(2));
  t.log(pass);
  t.regex(pass, /Found 0 rebooted nodes[\s\S]*Found 1 nodes that need a reboot/, 'the race: node-a, back, is in none of the operator\'s sets, and it selects another');
  // It logs its choice before it labels the node.
  const ns = await waitNodes('node-b to be selected (before-reboot)', (s) => node(s, 'node-b').labels[K.beforeReboot] === 'true', 15_000);
  t.is(node(ns, 'node-a').labels[K.afterReboot], undefined);
  t.is(node(ns, 'node-a').annotations[K.rebootOk], 'true');

  await waitFor('the guard to hold node-b', async () => (await events('node-b', 'RebootHeld'))[0] ?? pending('no RebootHeld event'), { deadline: Date.now() + 15_000 });
  t.deepEqual(await events('node-b', 'RebootHeld'), ['node-a is still rebooting, and nodes reboot one at a time: reboot-paused until the operator drops it']);
  const paused = node(await readNodes(kc), 'node-b').annotations;
  t.is(paused[K.rebootPaused], 'true', 'paused, so the operator drops it: counting both, FLUO v0.9.0 would panic');
  t.is(paused[G.pausedFor], 'node-a');
  t.false(cordoned(await readNodes(kc), 'node-b'), 'held for the slot before its drain: not cordoned');
});

test.serial('a guard killed mid-rollout and started again carries on from what the nodes say', async (t) => {
  if (failed) return t.fail(AFTER_A_FAILURE);
  await guard.kill();
  // Without a guard, the operator drops node-b, paused, marks node-a after-reboot and waits on the guard's hook.
  const pass = await op.passAfter(op.mark(), passes(2));
  t.regex(pass, /Node "node-b" no longer wanted to reboot/);
  let ns = await readNodes(kc);
  t.is(node(ns, 'node-a').labels[K.afterReboot], 'true');
  t.is(node(ns, 'node-a').annotations[G.afterHook], undefined);
  t.is(node(ns, 'node-b').labels[K.beforeReboot], undefined);

  guard = await launchGuard();
  ns = await waitNodes('node-b unpaused, node-a released, node-b selected again and allowed to reboot', (s) => node(s, 'node-b').annotations[K.rebootOk] === 'true');
  t.is(node(ns, 'node-a').annotations[K.rebootOk], 'false');
  t.false(cordoned(ns, 'node-a'), 'released, node-a is uncordoned by the guard, which cordoned it');
  t.is(node(ns, 'node-a').annotations[G.cordoned], undefined);
  t.true(guardCordoned(ns, 'node-b'), 'drained (of nothing) before it was let go');
  t.is(node(ns, 'node-b').annotations[K.rebootPaused], undefined);
  t.deepEqual(pastGuard(ns), ['node-b']);
  t.is((await events('node-b', 'RebootHeld')).length, 1, 'held once: the new guard found nothing to hold it for');
  t.is((await events('node-a', 'RebootChecked')).length, 1);
  t.is((await events('node-b', 'RebootUnpaused')).length, 1);
});

test.serial('not back in time (CLUO#91): node-b gets a condition and an Event, and keeps the slot', async (t) => {
  if (failed) return t.fail(AFTER_A_FAILURE);
  const mark = op.mark();
  await patchNode('node-b', rebootStarted);
  await waitFor('node-b to be overdue', async () => ((await overdueStatus('node-b')) === 'True' ? true : pending('no condition yet')), { deadline: Date.now() + (OVERDUE_S + 15) * 1000 });
  const [overdue] = await events('node-b', 'RebootOverdue');
  t.regex(overdue!, new RegExp(`not back \\d+s after its reboot-ok \\(limit ${OVERDUE_S}s\\)`));
  t.deepEqual(await events('node-a', 'RebootOverdue'), [], 'node-a came back in time');

  // A pass went by while it was out: the operator selected no other node, and the guard let none go.
  const pass = await op.passAfter(mark, passes(2));
  t.regex(pass, /Found node "node-b" still rebooting, waiting[\s\S]*Found 0 nodes that need a reboot/);
  const ns = await readNodes(kc);
  t.deepEqual(pastGuard(ns), ['node-b']);
  t.deepEqual([...ns.keys()].filter((n) => node(ns, n).labels[K.beforeReboot]), []);
});

test.serial('a failed update: node-b back on 1.0.0 keeps the slot, every node not on 2.0.0 is paused, and an admin resumes', async (t) => {
  if (failed) return t.fail(AFTER_A_FAILURE);
  // Its A/B fallback booted the old slot: the agent reports the version it started on, 1.0.0.
  await patchNode('node-b', backUp);
  let ns = await waitNodes('node-b marked failed and the rollout paused', (s) => node(s, 'node-b').annotations[G.updateFailed] === TO && node(s, 'node-d').annotations[K.rebootPaused] === 'true');
  t.is(await overdueStatus('node-b'), 'False', 'back, if late');
  for (const name of ['node-b', 'node-c', 'node-d']) t.is(node(ns, name).annotations[G.pausedFor], 'node-b', `${name} is not on ${TO}`);
  t.is(node(ns, 'node-a').annotations[K.rebootPaused], undefined, `node-a is on ${TO}`);
  t.true(guardCordoned(ns, 'node-b'), 'a failed update stays cordoned');
  t.regex((await events('node-b', 'UpdateFailed'))[0]!, new RegExp(`back on ${FROM}, not on ${TO}: the rollout is paused`));
  t.is((await events('node-c', 'RolloutPaused')).length, 1);

  const pass = await op.passAfter(op.mark(), passes(2));
  t.regex(pass, /Found 0 nodes that need a reboot/);
  ns = await readNodes(kc);
  t.is(node(ns, 'node-b').labels[K.afterReboot], 'true', 'node-b keeps the slot');
  t.deepEqual(pastGuard(ns), ['node-b']);

  // The admin, the cause known, removes the mark: the guard releases node-b and lifts its pauses,
  // and the operator's next pass releases node-b and selects node-c.
  await patchNode('node-b', { annotations: { [G.updateFailed]: null } });
  ns = await waitNodes('node-b released, and node-c unpaused, selected and let go', (s) => node(s, 'node-b').annotations[K.rebootOk] === 'false' && node(s, 'node-c').annotations[G.beforeHook] === 'true');
  for (const name of ['node-b', 'node-c', 'node-d']) t.is(node(ns, name).annotations[K.rebootPaused], undefined);
  t.false(cordoned(ns, 'node-b'), 'released, node-b is uncordoned');
  t.true(guardCordoned(ns, 'node-c'));
  t.deepEqual(pastGuard(ns), ['node-c']);
});
