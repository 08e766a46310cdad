import type { V1PodDisruptionBudget, V1Pod } from '@kubernetes/client-node';
import { isEmptySelector, matchesSelector } from './label-selector.js';

/**
 * Which PodDisruptionBudgets draining a node would break (FLUO#188: the agent logs a drain that
 * failed on a PDB and reboots anyway). The agent evicts every pod on the node but DaemonSet pods,
 * kube-system's (update-operator.md §1.3 step 6) and mirror pods; a budget breaks when more of its
 * pods are on the node than it allows to be disrupted.
 */

/** A budget as listed, with the API version it came from: the versions read an empty selector differently. */
export interface Budget {
  budget: V1PodDisruptionBudget;
  /** policy/v1 takes an empty selector as every pod of the namespace; policy/v1beta1 as none. */
  emptyMatchesAll: boolean;
}

export interface BrokenBudget {
  /** namespace/name */
  name: string;
  allowed: number;
  podsHere: number;
}

const FINISHED = new Set(['Succeeded', 'Failed']);

/**
 * The pods a drain would evict and wait on. `exempt` namespaces are left alone: kube-system, which
 * the agent skips, and the guard's own, whose pods (the operator, the guard) must never hold the
 * node they run on (FLUO#123).
 */
export function evictedPods(pods: readonly V1Pod[], exempt: ReadonlySet<string>): V1Pod[] {
  return pods.filter(
    (p) =>
      !exempt.has(p.metadata?.namespace ?? '') &&
      !p.metadata?.ownerReferences?.some((o) => o.controller && o.kind === 'DaemonSet') &&
      !p.metadata?.annotations?.['kubernetes.io/config.mirror'] &&
      !FINISHED.has(p.status?.phase ?? ''),
  );
}

function covers({ budget, emptyMatchesAll }: Budget, pod: V1Pod): boolean {
  const selector = budget.spec?.selector;
  if (!selector || pod.metadata?.namespace !== budget.metadata?.namespace) return false;
  if (isEmptySelector(selector)) return emptyMatchesAll;
  return matchesSelector(selector, pod.metadata?.labels ?? {});
}

export function brokenBudgets(podsOnNode: readonly V1Pod[], budgets: readonly Budget[], exempt: ReadonlySet<string>): BrokenBudget[] {
  const evicted = evictedPods(podsOnNode, exempt);
  return budgets.flatMap((b) => {
    const podsHere = evicted.filter((p) => covers(b, p)).length;
    // No status yet (no disruption controller has looked) allows nothing, as the Eviction API reads it.
    const allowed = b.budget.status?.disruptionsAllowed ?? 0;
    return podsHere > allowed ? [{ name: `${b.budget.metadata?.namespace}/${b.budget.metadata?.name}`, allowed, podsHere }] : [];
  });
}

export const describeBroken = (b: BrokenBudget) =>
  `draining it would break PodDisruptionBudget ${b.name}: it allows ${b.allowed} disruption${b.allowed === 1 ? '' : 's'} and ${b.podsHere} of its pods are on this node`;
