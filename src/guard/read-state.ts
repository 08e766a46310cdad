import { CoreV1Api, CustomObjectsApi, PolicyApi, type KubeConfig, type V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { GuardState } from './decide.js';
import type { Budget } from './drain-budget.js';
import { awaitsGuard, nameOf } from './node-state.js';

/** Reads what a pass decides on: the nodes, and the pods and budgets only when a node awaits the guard (it drains those it lets go). */

/**
 * The policy group's version the cluster prefers, for PodDisruptionBudgets and Evictions:
 * policy/v1 from Kubernetes 1.21, while the lab's 1.20 serves only v1beta1 (as FLUO's drain finds,
 * update-operator.md §1.5).
 */
export async function policyVersion(kc: KubeConfig): Promise<string> {
  return (await kc.makeApiClient(PolicyApi).getAPIGroup()).preferredVersion?.version ?? 'v1';
}

async function listBudgets(kc: KubeConfig): Promise<Budget[]> {
  const version = await policyVersion(kc);
  const list = (await kc.makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: 'policy', version, plural: 'poddisruptionbudgets' })) as { items: V1PodDisruptionBudget[] };
  return list.items.map((budget) => ({ budget, emptyMatchesAll: version !== 'v1beta1' }));
}

export async function readState(kc: KubeConfig): Promise<GuardState> {
  const core = kc.makeApiClient(CoreV1Api);
  const nodes = (await core.listNode()).items;
  const selected = nodes.filter(awaitsGuard).map(nameOf);
  if (selected.length === 0) return { nodes, podsOn: new Map(), budgets: [] };
  const pods = await Promise.all(selected.map(async (name) => [name, (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${name}` })).items] as const));
  return { nodes, podsOn: new Map(pods), budgets: await listBudgets(kc) };
}
