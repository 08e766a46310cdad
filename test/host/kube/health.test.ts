import { AppsV1Api, CoreV1Api, type KubeConfig, type V1OwnerReference } from '@kubernetes/client-node';
import { LabError } from '../../../src/errors.js';
import { CONTROLLER_LABEL } from '../../../src/ground/cluster.js';
import { createObjects, isStatus, listPods, loadKubeconfig } from '../../../src/kube/client.js';
import { labNow } from '../../../src/toolkit/lab-clock.js';
import { pending, waitFor } from '../../../src/toolkit/wait-for.js';
import { apiserverPodsComeBack, crossNodePodTraffic, nodesReady, selfHostedPlane, trafficDeployment, waitForTrafficPods } from '../../../src/kube/health.js';
import { ENVTEST_NEEDS, forceDeletePod, ownerOf, podWithPhase, startEnvtest, type Envtest } from '../../support/envtest.js';
import { needs } from '../../support/needs.js';

const test = needs(...ENVTEST_NEEDS);
let env: Envtest;
let kc: KubeConfig;
test.before(async () => {
  env = await startEnvtest();
  kc = loadKubeconfig(env.kubeconfig);
});
test.after.always(async () => {
  await env?.stop();
});

const NS = 'kube-system';

async function setReady(name: string, ready: boolean) {
  const core = kc.makeApiClient(CoreV1Api);
  const node = await core.readNode({ name }).catch(() => core.createNode({ body: { metadata: { name } } }));
  const now = new Date();
  node.status = {
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady', lastHeartbeatTime: now, lastTransitionTime: now }],
  };
  await core.replaceNodeStatus({ name, body: node });
}

/** A node as the kubelet registers a controller: with the controller label. */
async function labelController(name: string) {
  const core = kc.makeApiClient(CoreV1Api);
  const node = await core.readNode({ name }).catch(() => core.createNode({ body: { metadata: { name } } }));
  node.metadata!.labels = { ...node.metadata!.labels, [CONTROLLER_LABEL]: 'true' };
  await core.replaceNode({ name, body: node });
}

async function resetKubeSystem() {
  const apps = kc.makeApiClient(AppsV1Api);
  await kc.makeApiClient(CoreV1Api).deleteCollectionNamespacedPod({ namespace: NS, gracePeriodSeconds: 0 });
  await apps.deleteCollectionNamespacedDaemonSet({ namespace: NS });
}

/** The kube-apiserver DaemonSet and an owner reference to it, plus ReplicaSet owners for the Deployments' pods. */
async function controlPlaneOwners(): Promise<{ ds: V1OwnerReference; rs: (name: string) => V1OwnerReference }> {
  const ds = await kc.makeApiClient(AppsV1Api).createNamespacedDaemonSet({
    namespace: NS,
    body: { metadata: { name: 'kube-apiserver' }, spec: { selector: { matchLabels: { k: 'a' } }, template: { metadata: { labels: { k: 'a' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } },
  });
  // What the DaemonSet controller would report: it wants one pod, on c1.
  ds.status = { currentNumberScheduled: 1, desiredNumberScheduled: 1, numberMisscheduled: 0, numberReady: 1 };
  await kc.makeApiClient(AppsV1Api).replaceNamespacedDaemonSetStatus({ name: 'kube-apiserver', namespace: NS, body: ds });
  const owner = ownerOf({ ...ds, apiVersion: 'apps/v1' }, 'DaemonSet');
  return { ds: owner, rs: (name) => ({ ...owner, kind: 'ReplicaSet', name }) };
}

test.serial('nodesReady reads the Ready condition kubelets report, and names what is missing', async (t) => {
  await setReady('c1', true);
  await setReady('w1', false);
  const err = await t.throwsAsync(nodesReady(kc, ['c1', 'w1', 'w2']), { instanceOf: LabError });
  t.regex(err.message, /last seen: c1: Ready=True; w1: Ready=False \(KubeletNotReady\); w2: not registered$/);
  await setReady('w1', true);
  await setReady('w2', true);
  t.deepEqual(await nodesReady(kc, ['c1', 'w1', 'w2']), ['c1: Ready=True', 'w1: Ready=True', 'w2: Ready=True']);
  // With patience it waits for a node that becomes Ready meanwhile.
  await setReady('w2', false);
  setTimeout(() => void setReady('w2', true), 400);
  t.is((await nodesReady(kc, ['w2'], { timeoutMs: 10_000, intervalMs: 100 })).length, 1);
});

test.serial('selfHostedPlane: owned Running pods pass; a bootstrap pod or an orphaned checkpoint fails it', async (t) => {
  try {
    const { ds, rs } = await controlPlaneOwners();
    await podWithPhase(kc, { name: 'kube-apiserver-x7k2p', namespace: NS, node: 'c1', phase: 'Running', owner: ds });
    await podWithPhase(kc, { name: 'kube-scheduler-5d4f8-q2w9z', namespace: NS, node: 'c1', phase: 'Running', owner: rs('kube-scheduler-5d4f8') });
    await podWithPhase(kc, { name: 'kube-controller-manager-7c9-abcde', namespace: NS, node: 'c1', phase: 'Running', owner: rs('kube-controller-manager-7c9') });
    // A checkpoint beside its Running parent on the same node is fine.
    await podWithPhase(kc, { name: 'kube-apiserver-checkpoint-c1', namespace: NS, node: 'c1', phase: 'Running', annotations: { 'checkpointer.alpha.coreos.com/checkpoint-of': 'kube-apiserver' } });
    await labelController('c1');
    const evidence = await selfHostedPlane(kc);
    t.true(evidence.includes('kube-apiserver-x7k2p owned by DaemonSet/kube-apiserver'), evidence.join('\n'));
    t.true(evidence.includes('kube-apiserver on every controller: c1'), evidence.join('\n'));
    t.true(evidence.includes('orphaned checkpoints: none'));

    // A second controller the DaemonSet has not covered yet.
    await labelController('c3');
    t.regex((await t.throwsAsync(selfHostedPlane(kc), { instanceOf: LabError })).message, /no Running kube-apiserver pod on controller c3/);
    await kc.makeApiClient(CoreV1Api).deleteNode({ name: 'c3' });

    await podWithPhase(kc, { name: 'bootstrap-kube-apiserver-c1', namespace: NS, node: 'c1', phase: 'Running' });
    await podWithPhase(kc, { name: 'kube-apiserver-checkpoint-c2', namespace: NS, node: 'c2', phase: 'Running', annotations: { 'checkpointer.alpha.coreos.com/checkpoint-of': 'kube-system/kube-apiserver-gone1' } });
    const err = await t.throwsAsync(selfHostedPlane(kc), { instanceOf: LabError });
    t.regex(err.message, /bootstrap pods left: bootstrap-kube-apiserver-c1 Running@c1/);
    t.regex(err.message, /checkpoints without a Running parent: kube-apiserver-checkpoint-c2 Running@c2$/);
    t.notRegex(err.message, /kube-apiserver-checkpoint-c1/);
  } finally {
    await resetKubeSystem();
  }
});

test.serial('apiserverPodsComeBack deletes the DaemonSet pods and waits until new ones run', async (t) => {
  try {
    const { ds } = await controlPlaneOwners();
    const old = await podWithPhase(kc, { name: 'kube-apiserver-old11', namespace: NS, node: 'c1', phase: 'Running', owner: ds });
    // The kubelet and the DaemonSet controller: once the pod is being deleted, finish the deletion, then a new pod starts.
    let replaced = false;
    const kubelet = (async () => {
      for (let i = 0; i < 100 && !replaced; i++) {
        const pods = await listPods(kc, NS);
        const dying = pods.find((p) => p.metadata?.uid === old.metadata?.uid && p.metadata?.deletionTimestamp);
        if (dying) {
          await forceDeletePod(kc, NS, 'kube-apiserver-old11');
          await podWithPhase(kc, { name: 'kube-apiserver-new22', namespace: NS, node: 'c1', phase: 'Running', owner: ds });
          replaced = true;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const evidence = await apiserverPodsComeBack(kc, 20_000, 100);
    await kubelet;
    t.true(replaced);
    t.is(evidence[0], 'deleted: kube-apiserver-old11 Running@c1');
    t.is(evidence[1], 'back: kube-apiserver-new22 Running@c1');
  } finally {
    await resetKubeSystem();
  }
});

test.serial('apiserverPodsComeBack times out with what it saw when no new pod comes', async (t) => {
  try {
    const { ds } = await controlPlaneOwners();
    await podWithPhase(kc, { name: 'kube-apiserver-old33', namespace: NS, node: 'c1', phase: 'Running', owner: ds });
    const err = await t.throwsAsync(apiserverPodsComeBack(kc, 1000, 100), { instanceOf: LabError });
    // The old pod waits for its kubelet to confirm the deletion: it is not counted as back.
    t.regex(err.message, /waiting for the API and new kube-apiserver DaemonSet pods Running; last seen: 0\/1 new pods Running/);
  } finally {
    await resetKubeSystem();
  }
});

test.serial('the traffic Deployment is admitted by the API, and one use\'s pods are awaited one per node', async (t) => {
  const namespace = 'lab-traffic';
  await createObjects(kc, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }]);
  const [r] = await createObjects(kc, [trafficDeployment({ namespace, nodes: ['c1', 'w1'], busyboxTag: '1.35.0-4' }, 'u2')], { dryRun: true });
  t.is(r?.outcome, 'dry-run');
  const labels = { app: 'metal-lab-traffic', use: 'u2' };
  // An earlier check's pod, Running until the garbage collector deletes it: never this check's.
  await podWithPhase(kc, { name: 'traffic-old', namespace, node: 'w1', phase: 'Running', labels: { ...labels, use: 'u1' }, podIP: '10.2.1.4' });
  await podWithPhase(kc, { name: 'traffic-a', namespace, node: 'c1', phase: 'Running', labels, podIP: '10.2.0.5' });
  await podWithPhase(kc, { name: 'traffic-b', namespace, node: 'w1', phase: 'Pending', labels });
  const err = await t.throwsAsync(waitForTrafficPods(kc, { namespace, nodes: ['c1', 'w1'], timeoutMs: 300 }, 'u2'), { instanceOf: LabError });
  t.regex(err.message, /last seen: (traffic-a Running@c1, traffic-b Pending@w1|traffic-b Pending@w1, traffic-a Running@c1)$/);
  await forceDeletePod(kc, namespace, 'traffic-b');
  await podWithPhase(kc, { name: 'traffic-b', namespace, node: 'w1', phase: 'Running', labels, podIP: '10.2.1.5' });
  const pods = await waitForTrafficPods(kc, { namespace, nodes: ['c1', 'w1'], timeoutMs: 5000 }, 'u2');
  t.deepEqual(pods.map((p) => `${p.metadata?.name} ${p.status?.podIP}`), ['traffic-a 10.2.0.5', 'traffic-b 10.2.1.5']);
});

test.serial('a traffic check replaces what an earlier one left, and removes its Deployment even when it fails', async (t) => {
  const namespace = 'lab-traffic-cycle';
  const apps = kc.makeApiClient(AppsV1Api);
  const nodes = ['c1', 'w1'];
  await createObjects(kc, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, trafficDeployment({ namespace, nodes, busyboxTag: 't' }, 'stale')]);
  const checked = crossNodePodTraffic(kc, { namespace, nodes, busyboxTag: 't', timeoutMs: 20_000, execTimeoutMs: 5000 });
  // The kubelet's part: this check's pods, Running, once its Deployment is there.
  const use = await waitFor('the new traffic Deployment', async () => {
    const d = await apps.readNamespacedDeployment({ name: 'metal-lab-traffic', namespace }).catch(() => undefined);
    const u = d?.spec?.selector.matchLabels?.use;
    return u && u !== 'stale' ? u : pending(`selector use=${u}`);
  }, { deadline: labNow() + 10_000, intervalMs: 100 });
  for (const [i, node] of nodes.entries()) {
    await podWithPhase(kc, { name: `traffic-${node}`, namespace, node, phase: 'Running', labels: { app: 'metal-lab-traffic', use }, podIP: `10.2.${i}.5` });
  }
  // No kubelet answers an exec here: the check fails, and cleans up all the same.
  await t.throwsAsync(checked, { instanceOf: LabError });
  const left = await apps.readNamespacedDeployment({ name: 'metal-lab-traffic', namespace }).catch((err: unknown) => err);
  t.true(isStatus(left, 404), 'the Deployment is gone');
});
