import type { UpdatesSpec } from '../../ground/lab-spec.js';
import { byCreationRank, manifestFiles, type KubeObject } from '../bootkube/objects.js';
import { agentDaemonSet } from './agent.js';
import { guardDeployment, guardRbacObjects } from './guard.js';
import { operatorDeployment } from './operator.js';
import { NAMESPACE, rbacObjects } from './rbac.js';

/**
 * The update operator's objects, the rollout guard's among them, in the order to create them:
 * the namespace, identities and RBAC, then the workloads, so no pod starts without its
 * ServiceAccount. createObjects takes them as they are.
 */
export function updateOperatorObjects(updates: UpdatesSpec): KubeObject[] {
  return byCreationRank([
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
    ...rbacObjects(),
    ...guardRbacObjects(),
    agentDaemonSet(),
    operatorDeployment(updates),
    guardDeployment(),
  ]);
}

/** The same objects as manifest files `<rank>-<name>-<kind>.yaml` under `dir`: file order is creation order. */
export function renderUpdateOperator(updates: UpdatesSpec, dir: string): Map<string, string> {
  return manifestFiles(updateOperatorObjects(updates), dir);
}
