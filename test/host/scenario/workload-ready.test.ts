import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { createObjects, loadKubeconfig } from '../../../src/kube/client.js';
import { WORKLOAD, workloadReady } from '../../../src/scenario/rollout-workload.js';
import { ENVTEST_NEEDS, startEnvtest, type Envtest } from '../../support/envtest.js';
import { ns } from '../../support/kube-objects.js';
import { needs } from '../../support/needs.js';
import { createNodes, nodeStatus } from '../../support/rollout-writes.js';

/**
 * workload-ready against a real kube-apiserver (envtest): the test writes the pods and nodes as
 * the scheduler and kubelets would, and the check counts only Ready pods on Ready nodes of their
 * own, never one on a node the scenario cut off, nor one being deleted.
 */

const test = needs(...ENVTEST_NEEDS);

let env: Envtest | undefined;
let kc: KubeConfig;
const core = () => kc.makeApiClient(CoreV1Api);

/** A workload pod bound to `node`, its Ready condition as a kubelet reports it. */
async function pod(name: string, node: string | undefined, ready: boolean, finalizers?: string[]): Promise<V1Pod> {
  const created = await core().createNamespacedPod({
    namespace: WORKLOAD.namespace,
    body: { metadata: { name, labels: { app: WORKLOAD.name }, finalizers }, spec: { nodeName: node, containers: [{ name: 'httpd', image: 'metal-lab.local/busybox:1' }] } },
  });
  if (!node) return created;
  created.status = { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] };
  return core().replaceNamespacedPodStatus({ name, namespace: WORKLOAD.namespace, body: created });
}

test.before(async () => {
  env = await startEnvtest();
  kc = loadKubeconfig(env.kubeconfig);
  await createNodes(kc, ['node1', 'node2', 'node3', 'node4'], '1.0.0', 1);
  await nodeStatus(kc, 'node4', 'False', 'boot-1');
  await createObjects(kc, [ns(WORKLOAD.namespace)]);
  await pod('web-a', 'node1', true);
  await pod('web-b', 'node2', true);
  await pod('web-c', 'node2', true);
  await pod('web-d', 'node3', false);
  await pod('web-e', 'node4', true);
  await pod('web-f', undefined, false);
});

test.after.always(async () => {
  await env?.stop();
});

test.serial('Ready pods on Ready nodes count once per node; the rest say why they do not', async (t) => {
  const r = await workloadReady(kc, 2, new Set());
  t.true(r.ready);
  t.is(r.line, '2 of 2 pods Ready on nodes of their own: web-a Running@node1, web-b Running@node2, web-c Running@node2; not counted: web-d Running@node3 (not Ready), web-e Running@node4 (node4 not Ready), web-f Pending (unscheduled)');
  t.false((await workloadReady(kc, 3, new Set())).ready, 'two pods on node2 are one node');
});

test.serial('a node the scenario cut off counts for nothing, though the API still calls it Ready', async (t) => {
  const r = await workloadReady(kc, 2, new Set(['node2']));
  t.false(r.ready);
  t.is(r.line, '1 of 2 pods Ready on nodes of their own: web-a Running@node1; not counted: web-b Running@node2 (node2 cut off), web-c Running@node2 (node2 cut off), web-d Running@node3 (not Ready), web-e Running@node4 (node4 not Ready), web-f Pending (unscheduled)');
});

test.serial('a pod being deleted does not count: evicted from a lost node, it stays until its kubelet answers', async (t) => {
  await pod('web-g', 'node3', true, ['metal-lab.test/held']);
  t.true((await workloadReady(kc, 3, new Set())).ready, 'node1, node2 and node3');
  await core().deleteNamespacedPod({ name: 'web-g', namespace: WORKLOAD.namespace });
  const r = await workloadReady(kc, 3, new Set());
  t.false(r.ready);
  t.regex(r.line, /^2 of 3 pods Ready .*web-g Running@node3 \(deleting\)/);
  await core().patchNamespacedPod({ name: 'web-g', namespace: WORKLOAD.namespace, body: [{ op: 'remove', path: '/metadata/finalizers' }] });
});
