import path from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { LabError } from '../errors.js';
import { manifestObjects, readAssetDir } from '../kube/asset-dir.js';
import { createObjects } from '../kube/client.js';
import { workloadsAvailable, type WorkloadRef } from '../kube/workloads.js';
import type { ScenarioContext } from './context.js';

const notRendered = (dir: string) => new LabError(`no update operator manifests at ${dir}`, 'bring the lab up again: `up` renders them for a lab with kubernetes: and updates:');

const isWorkload = (kind: string): kind is WorkloadRef['kind'] => kind === 'Deployment' || kind === 'DaemonSet';

/**
 * The update operator in the pivoted cluster: the objects `up` rendered into the lab's
 * update-operator/ (FLUO's operator and agents, the rollout guard) created in their files' order
 * through `kc`, then waited on, by `deadline`, until each Deployment has its replica available
 * and the agents' DaemonSet one pod on every node. Returns a line per workload.
 */
export async function startUpdateOperator(ctx: ScenarioContext, kc: KubeConfig, deadline: number): Promise<string[]> {
  const dir = ctx.paths.updateOperator;
  const objects = manifestObjects(await readAssetDir(dir, notRendered), '');
  const log = (line: string) => ctx.report.info(`update operator: ${line}`);
  await createObjects(kc, objects, { log, deadline });
  const workloads = objects.flatMap((o) => (isWorkload(o.kind) ? [{ kind: o.kind, namespace: o.metadata.namespace ?? 'default', name: o.metadata.name }] : []));
  const kubeconfig = path.join(ctx.paths.bootkube, 'auth', 'kubeconfig');
  const lines = await workloadsAvailable(kc, workloads, {
    nodes: ctx.lab.nodes.length,
    deadline,
    log,
    signal: ctx.signal,
    fix:
      `look at the nodes the pods are on (metal-lab ssh NODE --lab ${ctx.lab.id} -- journalctl -u kubelet -u metal-lab-images: the images are imported at first boot) ` +
      `and at the pods (kubectl --kubeconfig ${kubeconfig} -n ${workloads[0]?.namespace} describe pods)`,
  });
  for (const line of lines) log(line);
  return lines;
}
