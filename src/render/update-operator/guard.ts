import { rolloutGuardImageRef } from '../../ground/cluster.js';
import { clusterRoleBinding, meta, serviceAccount, type KubeObject } from '../bootkube/objects.js';
import { EVENT_NAMESPACE } from './guard-contract.js';
import { CONTROLLER_TOLERATIONS, podTemplate } from './pod.js';
import { clusterRole, NAMESPACE, role, roleBinding, rule } from './rbac.js';

/**
 * The rollout guard (src/guard) beside the operator: its identity, exactly the rights its API
 * calls need, and one replica of its image.
 */

export const GUARD = 'rollout-guard';

/** Each rule is an API call of the guard's (read-state.ts, apply.ts), and nothing more. */
export function guardRbacObjects(): KubeObject[] {
  return [
    serviceAccount(GUARD, NAMESPACE),
    clusterRole(GUARD, [
      // Every pass lists the nodes; its hooks, holds, pauses and cordons are merge patches of them.
      rule('', ['nodes'], ['list', 'patch']),
      // The RebootOverdue condition, beside the kubelet's.
      rule('', ['nodes/status'], ['patch']),
      // The pods on a selected node, in every namespace (a field selector on spec.nodeName).
      rule('', ['pods'], ['list']),
      // It drains the node it lets go itself, through the Eviction API (FLUO#188).
      rule('', ['pods/eviction'], ['create']),
      // The budgets a drain would break, in whichever version the cluster prefers (discovery is
      // every authenticated user's).
      rule('policy', ['poddisruptionbudgets'], ['list']),
    ]),
    role(GUARD, EVENT_NAMESPACE, [rule('', ['events'], ['create'])]),
    clusterRoleBinding(GUARD, GUARD, [GUARD], NAMESPACE),
    roleBinding(GUARD, EVENT_NAMESPACE, GUARD),
  ];
}

/**
 * Exactly one guard: two could each let a different node go in the same instant (it has no
 * leader election), hence also Recreate, so an update never runs the new pod beside the old.
 */
export function guardDeployment(): KubeObject {
  const template = podTemplate({
    app: GUARD,
    container: GUARD,
    serviceAccountName: GUARD,
    image: rolloutGuardImageRef(),
    // Its pods, like the operator's, never hold the node they run on.
    args: ['--namespace', NAMESPACE],
    // It reads its token and talks to the API; nothing needs root.
    securityContext: { runAsUser: 65534, runAsGroup: 65534, runAsNonRoot: true, allowPrivilegeEscalation: false },
    // Onto controllers, and onto a cordoned node (FLUO#123): in a one-node cluster the drain
    // evicts the guard, and only a replacement on that node can release it after its reboot.
    tolerations: [...CONTROLLER_TOLERATIONS, { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(GUARD, {}, NAMESPACE),
    spec: { replicas: 1, strategy: { type: 'Recreate' }, selector: { matchLabels: template.metadata.labels }, template },
  };
}
