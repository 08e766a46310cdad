import { CoreV1Api, CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig, type V1NodeSystemInfo, type V1PodDisruptionBudget } from '@kubernetes/client-node';
import { FLUO_KEYS as K } from '../../src/guard/keys.js';
import { budgetName, budgetView, nodeView, type RolloutRecord } from '../../src/scenario/rollout-record.js';
import { pending, waitFor } from '../../src/toolkit/wait-for.js';
import { WORKLOAD } from '../../src/scenario/rollout-workload.js';
import { bootId, type RolloutStep } from './rollout-sequences.js';

/** The rollout sequences' writes through a real apiserver, each made as its writer makes it. */

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** What a kubelet reports of its node; the watch reads only the boot id. */
const nodeInfo = (bootID: string): V1NodeSystemInfo => ({
  architecture: 'amd64', bootID, containerRuntimeVersion: 'containerd://1.6.20', kernelVersion: '6.1.0-28-cloud-amd64', kubeProxyVersion: 'v1.20.2',
  kubeletVersion: 'v1.20.2', machineID: 'm', operatingSystem: 'linux', osImage: 'labos', systemUUID: 'u',
});

/** A kubelet's report, through the status subresource. */
export async function nodeStatus(kc: KubeConfig, name: string, ready: string, bootID: string): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const n = await core.readNode({ name });
  n.status = { ...n.status, conditions: [{ type: 'Ready', status: ready, reason: 'KubeletReady', message: 'kubelet reports' }], nodeInfo: nodeInfo(bootID) };
  await core.replaceNodeStatus({ name, body: n });
}

/** Nodes as their agents left them after booting `version` (boot `boot`), Ready. */
export async function createNodes(kc: KubeConfig, names: readonly string[], version: string, boot: number): Promise<void> {
  for (const name of names) {
    const metadata = { name, labels: { [K.version]: version, [K.rebootNeeded]: 'false' }, annotations: { [K.rebootNeeded]: 'false', [K.status]: 'UPDATE_STATUS_IDLE' } };
    await kc.makeApiClient(CoreV1Api).createNode({ body: { metadata } });
    await nodeStatus(kc, name, 'True', bootId(name, boot));
  }
}

/** One step: a node's metadata and cordon (one patch), its status, or the workload budget's status (`policy/<version>`). */
export async function writeStep(kc: KubeConfig, step: RolloutStep, budgetApiVersion: string): Promise<void> {
  if ('budget' in step) {
    const status = { ...step.budget, expectedPods: 3, observedGeneration: 1 };
    const version = budgetApiVersion.split('/')[1]!;
    await kc.makeApiClient(CustomObjectsApi).patchNamespacedCustomObjectStatus({ group: 'policy', version, plural: 'poddisruptionbudgets', ...WORKLOAD, body: { status } }, merge);
  } else if ('status' in step) {
    await nodeStatus(kc, step.node, step.status.ready, step.status.bootID);
  } else {
    const spec = step.unschedulable === undefined ? {} : { spec: { unschedulable: step.unschedulable } };
    await kc.makeApiClient(CoreV1Api).patchNode({ name: step.node, body: { metadata: { labels: step.labels, annotations: step.annotations }, ...spec } }, merge);
  }
}

/** Until `record` holds what the API holds: the watch has seen every write made before this call. */
export async function caughtUp(kc: KubeConfig, record: RolloutRecord, budgetApiVersion: string): Promise<void> {
  const version = budgetApiVersion.split('/')[1]!;
  await waitFor(
    'the watch to catch up with the API',
    async () => {
      const nodes = (await kc.makeApiClient(CoreV1Api).listNode()).items.map((n) => [n.metadata!.name!, nodeView(n)]);
      const budgets = (await kc.makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: 'policy', version, plural: 'poddisruptionbudgets' })) as { items: V1PodDisruptionBudget[] };
      const api = JSON.stringify({ nodes, budgets: budgets.items.map((b) => [budgetName(b), budgetView(b)]) });
      return api === JSON.stringify({ nodes: [...record.now.nodes], budgets: [...record.now.budgets] }) || pending('behind');
    },
    { deadline: Date.now() + 30_000, intervalMs: 200 },
  );
}
