import { clusterRoleBinding, meta, serviceAccount, type KubeObject } from '../bootkube/objects.js';

/**
 * Who the operator and the agents are and what they may do: upstream's examples/deploy/ (v0.9.0),
 * names and rules as there. Upstream also binds the agent to a Role it never defines; that
 * dangling RoleBinding is left out (the agent only reads and writes cluster-scoped things).
 */

/** FLUO's namespace: the operator's leader-election lock lives here (its POD_NAMESPACE). */
export const NAMESPACE = 'reboot-coordinator';
export const OPERATOR = 'flatcar-linux-update-operator';
export const AGENT = 'flatcar-linux-update-agent';
export const OPERATOR_SERVICE_ACCOUNT = `${OPERATOR}-sa`;
export const AGENT_SERVICE_ACCOUNT = AGENT;
/** The ConfigMap and the Lease (lock type ConfigMapsLeases) the operators elect their leader by. */
const LOCK = `${OPERATOR}-lock`;

const RBAC = 'rbac.authorization.k8s.io';
export type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
export const rule = (apiGroup: string, resources: string[], verbs: string[], resourceNames?: string[]): Rule => ({
  apiGroups: [apiGroup],
  resources,
  verbs,
  ...(resourceNames ? { resourceNames } : {}),
});

export const clusterRole = (name: string, rules: Rule[]): KubeObject => ({ apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name }, rules });
export const role = (name: string, namespace: string, rules: Rule[]): KubeObject => ({ apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: meta(name, {}, namespace), rules });

/** Binds the Role `name` of `namespace` to a ServiceAccount of FLUO's namespace. */
export const roleBinding = (name: string, namespace: string, serviceAccount: string): KubeObject => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'RoleBinding',
  metadata: meta(name, {}, namespace),
  roleRef: { apiGroup: RBAC, kind: 'Role', name },
  subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace: NAMESPACE }],
});

/** Both watch and mark nodes (annotations, labels; the agent cordons its own). */
const NODES = rule('', ['nodes'], ['get', 'list', 'watch', 'update']);

/** In the order their files sort (agent before operator), so a dir applied by name is applied in this order. */
export function rbacObjects(): KubeObject[] {
  return [
    serviceAccount(AGENT_SERVICE_ACCOUNT, NAMESPACE),
    serviceAccount(OPERATOR_SERVICE_ACCOUNT, NAMESPACE),
    // The agent drains its node: the Eviction API (so PodDisruptionBudgets hold), with pods
    // deleted where evictions are unsupported, and DaemonSet pods found by their owner and left.
    clusterRole(AGENT, [
      NODES,
      rule('', ['pods'], ['get', 'list', 'delete']),
      rule('', ['pods/eviction'], ['create']),
      rule('apps', ['daemonsets'], ['get']),
    ]),
    clusterRole(OPERATOR, [NODES]),
    // Leader election: create the lock, then read and renew only it; events tell who leads.
    role(OPERATOR, NAMESPACE, [
      rule('', ['configmaps'], ['create']),
      rule('', ['configmaps'], ['get', 'update'], [LOCK]),
      rule('', ['events'], ['create', 'watch']),
      rule('coordination.k8s.io', ['leases'], ['create']),
      rule('coordination.k8s.io', ['leases'], ['get', 'update'], [LOCK]),
    ]),
    clusterRoleBinding(AGENT, AGENT, [AGENT_SERVICE_ACCOUNT], NAMESPACE),
    clusterRoleBinding(OPERATOR, OPERATOR, [OPERATOR_SERVICE_ACCOUNT], NAMESPACE),
    roleBinding(OPERATOR, NAMESPACE, OPERATOR_SERVICE_ACCOUNT),
  ];
}
