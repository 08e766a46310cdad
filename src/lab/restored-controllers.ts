import path from 'node:path';
import { CoordinationV1Api } from '@kubernetes/client-node';
import type { LabLayout } from '../ground/host-layout.js';
import type { BootMode } from '../ground/lab-model.js';
import { labModel } from '../ground/lab-model.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { loadKubeconfig } from '../kube/client.js';
import { nodeSshTarget } from '../node/lab-target.js';
import { connectNode } from '../node/ssh.js';
import type { StepRunner } from './steps.js';
import { CONTROLLER_MANAGER } from '../render/bootkube/control-plane.js';

/** The controller-manager's process on a node (the pattern's own text never matches it: no "/" before the name). */
export const KCM_PROCESS = `(^|/)${CONTROLLER_MANAGER}( |$)`;

/** Stops the node's controller-manager processes; how many there were. The kubelet starts them again. */
async function stopControllerManagers(lab: LabSpec, node: LabSpec['nodes'][number], paths: LabLayout, timeoutScale: number): Promise<number> {
  const session = await connectNode(await nodeSshTarget(lab, node, paths, timeoutScale));
  try {
    const r = await session.run(`n=$(pgrep -c -f '${KCM_PROCESS}'); sudo -n pkill -f '${KCM_PROCESS}'; echo "$n"`, { timeoutMs: 30_000 * timeoutScale });
    return Number(r.stdout.trim()) || 0;
  } finally {
    await session.close();
  }
}

/**
 * After a restore, every controller-manager started afresh. Its controllers authenticate with
 * tokens it requests for their ServiceAccounts (an hour each) and renews by Go's monotonic clock,
 * which stood still while the snapshot did: stepping the wall clock does not reach it, so for up
 * to 48 minutes it would go on sending tokens the apiserver calls expired, and no controller acts
 * (no ReplicaSet, no pod). A new process asks for new tokens. Its leader lease is deleted so the
 * new one leads at once, not after the old lease runs out. Nothing runs where no cluster was
 * bootstrapped before the snapshot.
 */
export async function restartControllerManagers(lab: LabSpec, boot: BootMode, paths: LabLayout, timeoutScale: number, steps: StepRunner): Promise<void> {
  if (!lab.kubernetes || boot === 'live') return;
  const controllers = labModel(lab).controllers;
  const stopped = await Promise.all(controllers.map((n) => stopControllerManagers(lab, n, paths, timeoutScale)));
  const total = stopped.reduce((a, b) => a + b, 0);
  if (total === 0) return;
  const leases = loadKubeconfig(path.join(paths.bootkube, 'auth', 'kubeconfig')).makeApiClient(CoordinationV1Api);
  await leases.deleteNamespacedLease({ name: CONTROLLER_MANAGER, namespace: 'kube-system' }).catch(() => undefined);
  steps.info(`${CONTROLLER_MANAGER}: ${total} process${total === 1 ? '' : 'es'} restarted for fresh ServiceAccount tokens (${controllers.map((n, i) => `${n.name} ${stopped[i]}`).join(', ')}); its leader lease released`);
}
