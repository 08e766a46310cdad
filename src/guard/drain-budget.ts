import type { V1PodDisruptionBudget, V1Pod } from '@kubernetes/client-node';
import { isMirrorPod } from '../kube/pods.js';
import { isEmptySelector, matchesSelector } from './label-selector.js';

/**
 * What draining a node takes, and which PodDisruptionBudgets it would break (FLUO#188: the agent
 * logs a drain that failed on a PDB and reboots anyway). The agent evicts every pod on the node but
 * DaemonSet pods, kube-system's (update-operator.md §1.3 step 6) and mirror pods; a budget breaks
 * when more of its pods are on the node than it allows to be disrupted.
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
      !isMirrorPod(p) &&
      !FINISHED.has(p.status?.phase ?? ''),
  );
}

function covers({ budget, emptyMatchesAll }: Budget, pod: V1Pod): boolean {
  const selector = budget.spec?.selector;
  if (!selector || pod.metadata?.namespace !== budget.metadata?.namespace) return false;
  if (isEmptySelector(selector)) return emptyMatchesAll;
  return matchesSelector(selector, pod.metadata?.labels ?? {});
}

/** Being deleted already: not evicted again, and no longer healthy to its budget (the disruption controller skips it too). */
export const terminating = (p: V1Pod) => p.metadata?.deletionTimestamp !== undefined;

export interface DrainPlan {
  /** The pods a drain evicts and waits on, terminating ones too: the drain is done when none is left. */
  left: V1Pod[];
  /** Those to evict now: not terminating, each within every covering budget's `disruptionsAllowed`. */
  evict: V1Pod[];
  /** The budgets with more of their pods here than they allow to be disrupted: they hold back the rest. */
  broken: BrokenBudget[];
}

export function planDrain(podsOnNode: readonly V1Pod[], budgets: readonly Budget[], exempt: ReadonlySet<string>): DrainPlan {
  const left = evictedPods(podsOnNode, exempt);
  const live = left.filter((p) => !terminating(p));
  // No status yet (no disruption controller has looked) allows nothing, as the Eviction API reads it.
  const allowed = (b: Budget) => b.budget.status?.disruptionsAllowed ?? 0;
  // Each eviction takes one of its budgets' disruptions, as the Eviction API counts them: the pods
  // past a budget's count wait for a pass in which it allows more.
  const remaining = new Map(budgets.map((b) => [b, allowed(b)]));
  const evict = live.filter((p) => {
    const covering = budgets.filter((b) => covers(b, p));
    if (covering.some((b) => (remaining.get(b) ?? 0) <= 0)) return false;
    for (const b of covering) remaining.set(b, (remaining.get(b) ?? 0) - 1);
    return true;
  });
  const broken = budgets.flatMap((b) => {
    const podsHere = live.filter((p) => covers(b, p)).length;
    return podsHere > allowed(b) ? [{ name: `${b.budget.metadata?.namespace}/${b.budget.metadata?.name}`, allowed: allowed(b), podsHere }] : [];
  });
  return { left, evict, broken };
}

/** `lead` says what the budget does to the node: by default, that it would break. */
export const describeBroken = (b: BrokenBudget, lead = 'draining it would break') =>
  `${lead} PodDisruptionBudget ${b.name}: it allows ${b.allowed} disruption${b.allowed === 1 ? '' : 's'} and ${b.podsHere} of its pods are on this node`;
