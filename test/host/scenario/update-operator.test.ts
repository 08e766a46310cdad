import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1ContainerStatus } from '@kubernetes/client-node';
import { LabError } from '../../../src/errors.js';
import { hostLayout } from '../../../src/ground/host-layout.js';
import { createObjects, loadKubeconfig } from '../../../src/kube/client.js';
import { renderUpdateOperator, updateOperatorObjects } from '../../../src/render/update-operator/index.js';
import { RunReport } from '../../../src/report/run-report.js';
import type { ScenarioContext } from '../../../src/scenario/context.js';
import { startUpdateOperator } from '../../../src/scenario/update-operator.js';
import { loadLab } from '../../../src/spec/lab.js';
import { labNow } from '../../../src/toolkit/lab-clock.js';
import { pending, waitFor } from '../../../src/toolkit/wait-for.js';
import { ENVTEST_NEEDS, ownerOf, startEnvtest } from '../../support/envtest.js';
import { needs } from '../../support/needs.js';
import { tempDir } from '../../support/temp-dir.js';

// A real kube-apiserver with no controllers and no kubelets: the test plays their part through the
// status subresources (Deployment, DaemonSet and Pod status), as envtest's users do.
const test = needs(...ENVTEST_NEEDS);

const NS = 'reboot-coordinator';
const OPERATOR = 'flatcar-linux-update-operator';
const AGENT = 'flatcar-linux-update-agent';
const GUARD = 'rollout-guard';
const NODES = ['node1', 'node2', 'node3'];

/** lab/update.yaml with its manifests where `up` writes them, and a quiet report whose timeline the test reads. */
async function scenario(t: Parameters<typeof tempDir>[0]): Promise<ScenarioContext> {
  const lab = await loadLab('update');
  const host = hostLayout({ METAL_LAB_HOME: await tempDir(t) });
  const paths = host.lab(lab.id);
  for (const [file, text] of renderUpdateOperator(lab.updates!, paths.updateOperator)) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  const report = new RunReport({ lab: lab.id, scenario: 'update-operator', quiet: true });
  return { lab, host, paths, report, clock: { stretchMs: () => 0 }, timeoutScale: 1, boot: 'install', poweredOff: new Set(), linkDown: new Set(), etcdKeys: new Map(), published: new Map() };
}

const said = (ctx: ScenarioContext) => ctx.report.timeline.events.filter((e) => e.kind === 'info').map((e) => e.message ?? '');

/** What the Deployment controller reports once its one replica is available. */
async function deploymentAvailable(kc: KubeConfig, name: string): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const d = await apps.readNamespacedDeployment({ name, namespace: NS });
  d.status = { observedGeneration: d.metadata?.generation, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1 };
  await apps.replaceNamespacedDeploymentStatus({ name, namespace: NS, body: d });
}

/** What the DaemonSet controller reports with `available` of the three nodes' pods available. */
async function agentsAvailable(kc: KubeConfig, available: number): Promise<void> {
  const apps = kc.makeApiClient(AppsV1Api);
  const ds = await apps.readNamespacedDaemonSet({ name: AGENT, namespace: NS });
  ds.status = {
    observedGeneration: ds.metadata?.generation,
    desiredNumberScheduled: NODES.length,
    currentNumberScheduled: NODES.length,
    updatedNumberScheduled: NODES.length,
    numberMisscheduled: 0,
    numberReady: available,
    numberAvailable: available,
  };
  await apps.replaceNamespacedDaemonSetStatus({ name: AGENT, namespace: NS, body: ds });
}

/** A workload's pod on `node` as a kubelet reports it: its phase and its one container's state. */
async function podOf(kc: KubeConfig, o: { workload: string; kind: string; name: string; node: string; phase: string; container: Omit<V1ContainerStatus, 'image' | 'imageID'> }): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const owner = o.kind === 'DaemonSet' ? await apps.readNamespacedDaemonSet({ name: o.workload, namespace: NS }) : await apps.readNamespacedDeployment({ name: o.workload, namespace: NS });
  const pod = await core.createNamespacedPod({
    namespace: NS,
    body: {
      metadata: { name: o.name, labels: { app: o.workload }, ownerReferences: [ownerOf({ ...owner, apiVersion: 'apps/v1' }, o.kind)] },
      spec: { nodeName: o.node, containers: [{ name: o.container.name, image: owner.spec!.template.spec!.containers[0]!.image }] },
    },
  });
  pod.status = { phase: o.phase, containerStatuses: [{ image: '', imageID: '', ...o.container }] };
  await core.replaceNamespacedPodStatus({ name: o.name, namespace: NS, body: pod });
}

async function podEvent(kc: KubeConfig, pod: string, type: string, reason: string, message: string, count = 1): Promise<void> {
  const now = new Date();
  await kc.makeApiClient(CoreV1Api).createNamespacedEvent({
    namespace: NS,
    body: { metadata: { generateName: `${pod}.` }, involvedObject: { kind: 'Pod', name: pod, namespace: NS }, type, reason, message, count, firstTimestamp: now, lastTimestamp: now, source: { component: 'kubelet' } },
  });
}

test('the objects are created in their files\' order, then it waits until the operator, the guard and an agent per node are available', async (t) => {
  const env = await startEnvtest();
  t.teardown(() => env.stop());
  const kc = loadKubeconfig(env.kubeconfig);
  const ctx = await scenario(t);
  const started = startUpdateOperator(ctx, kc, labNow() + 60_000);
  // The controllers' part, once the workloads exist: first the two Deployments, then the agents node by node.
  const apps = kc.makeApiClient(AppsV1Api);
  await waitFor('the guard Deployment to be created', async () => (await apps.listNamespacedDeployment({ namespace: NS })).items.length === 2 || pending('not yet'), { deadline: labNow() + 30_000, intervalMs: 200 });
  await deploymentAvailable(kc, OPERATOR);
  await deploymentAvailable(kc, GUARD);
  for (const available of [1, 2, 3]) {
    await agentsAvailable(kc, available);
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
  const lines = await started;
  t.deepEqual(lines, [
    `DaemonSet ${NS}/${AGENT}: 3/3 nodes with an available pod (3 scheduled)`,
    `Deployment ${NS}/${OPERATOR}: 1/1 available`,
    `Deployment ${NS}/${GUARD}: 1/1 available`,
  ]);
  const info = said(ctx);
  const objects = updateOperatorObjects(ctx.lab.updates!);
  t.deepEqual(info.filter((l) => l.startsWith('update operator: Created ')).length, objects.length);
  t.is(info[0], `update operator: Created Namespace ${NS}`);
  t.true(info.includes(`update operator: Created Deployment ${NS}/${GUARD}`));
  // Progress as it changed, then the result.
  t.true(info.some((l) => l.includes(`${AGENT}: 0/3 nodes with an available pod`)), info.join('\n'));
  t.is(info.at(-1), `update operator: Deployment ${NS}/${GUARD}: 1/1 available`);
});

test('a failure explains itself: a pod that can never start ends the wait at once; a timeout names what is not available, its pods and events', async (t) => {
  const env = await startEnvtest();
  t.teardown(() => env.stop());
  const kc = loadKubeconfig(env.kubeconfig);
  const ctx = await scenario(t);
  await createObjects(kc, updateOperatorObjects(ctx.lab.updates!));
  await deploymentAvailable(kc, OPERATOR);
  await agentsAvailable(kc, 3);

  // The guard's image is not on its node: the kubelet says so, and no registry could ever help.
  const guardPod = `${GUARD}-5d8f7c9b4-x2x7q`;
  await podOf(kc, { workload: GUARD, kind: 'Deployment', name: guardPod, node: 'node2', phase: 'Pending', container: { name: GUARD, ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImageNeverPull', message: 'Container image "metal-lab.local/rollout-guard:v0.1.0" is not present with pull policy of Never' } } } });
  await podEvent(kc, guardPod, 'Warning', 'ErrImageNeverPull', 'Container image "metal-lab.local/rollout-guard:v0.1.0" is not present with pull policy of Never', 4);
  const t0 = Date.now();
  const never = await t.throwsAsync(startUpdateOperator(ctx, kc, labNow() + 120_000), { instanceOf: LabError });
  t.true(Date.now() - t0 < 30_000, 'it did not wait for the deadline');
  t.is(
    never!.message,
    `${guardPod} of Deployment ${NS}/${GUARD} can never start: its node has no such image: Deployment ${NS}/${GUARD}: 0/1 available; ` +
      `pods: ${guardPod} Pending@node2 [${GUARD} waiting: ErrImageNeverPull (Container image "metal-lab.local/rollout-guard:v0.1.0" is not present with pull policy of Never)]; ` +
      `events: Pod ${guardPod}: Warning ErrImageNeverPull: Container image "metal-lab.local/rollout-guard:v0.1.0" is not present with pull policy of Never (x4)`,
  );
  t.regex(never!.fix, /metal-lab ssh NODE --lab update -- journalctl -u kubelet -u metal-lab-images/);

  // The guard runs now; one agent keeps crashing.
  await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ name: guardPod, namespace: NS, gracePeriodSeconds: 0 });
  await deploymentAvailable(kc, GUARD);
  await agentsAvailable(kc, 2);
  const agentPod = `${AGENT}-q9z4k`;
  await podOf(kc, { workload: AGENT, kind: 'DaemonSet', name: agentPod, node: 'node3', phase: 'Running', container: { name: 'update-agent', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 40s restarting failed container' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } } });
  await podEvent(kc, agentPod, 'Warning', 'BackOff', 'Back-off restarting failed container');
  const late = await t.throwsAsync(startUpdateOperator(ctx, kc, labNow() + 4000), { instanceOf: LabError });
  t.regex(late!.message, /^not available after \d+s: /);
  t.true(
    late!.message.endsWith(
      `: DaemonSet ${NS}/${AGENT}: 2/3 nodes with an available pod (3 scheduled); ` +
        `pods: ${agentPod} Running@node3 [update-agent waiting: CrashLoopBackOff (back-off 40s restarting failed container), 3 restarts; last exit 1 (Error)]; ` +
        `events: Pod ${agentPod}: Warning BackOff: Back-off restarting failed container`,
    ),
    late!.message,
  );
  // What is available is not blamed.
  t.false(late!.message.includes(OPERATOR));
});
