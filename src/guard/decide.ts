import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { annotate, type Action } from './actions.js';
import { checkBack } from './back-check.js';
import { uncordon } from './drain.js';
import type { Budget } from './drain-budget.js';
import { GUARD_KEYS as G } from './keys.js';
import { letGo } from './let-go.js';
import { annotation, awaitsCheck, awaitsGuard, cordonedByGuard, holdsSlot, nameOf } from './node-state.js';
import { watchReturn } from './overdue.js';
import { failedUpdates, liftPauses, pauseRollout } from './pauses.js';

/** What one pass reads: every node (in the API's order, by name), and what drains would touch. */
export interface GuardState {
  nodes: V1Node[];
  /** The pods on each node that awaits the guard's before-reboot hook, those it drains among them. */
  podsOn: ReadonlyMap<string, V1Pod[]>;
  budgets: Budget[];
}

export interface GuardPolicy {
  /** How long a node allowed to reboot may take to come back before it is overdue. */
  overdueMs: number;
  /** Namespaces whose pods never hold a node: kube-system and the guard's own. */
  exempt: ReadonlySet<string>;
}

/** A reason to hold that no longer applies: the node is neither selected nor back. */
const staleHold = (n: V1Node) => annotation(n, G.held) !== undefined && !awaitsGuard(n) && !awaitsCheck(n);

/** A cordon of the guard's on a node it neither drains nor has let go: the operator dropped it mid-drain (paused, say). */
const staleCordon = (n: V1Node) => cordonedByGuard(n) && !awaitsGuard(n) && !holdsSlot(n);

/** One pass's actions, from what the cluster says alone: no memory between passes. */
export function decide(state: GuardState, policy: GuardPolicy, now: Date): Action[] {
  const failures = failedUpdates(state.nodes);
  return [
    ...state.nodes.flatMap((n) => watchReturn(n, now, policy.overdueMs)),
    ...state.nodes.filter(awaitsCheck).flatMap(checkBack),
    ...pauseRollout(state.nodes, failures),
    ...liftPauses(state.nodes, failures),
    ...letGo(state, policy, failures, now),
    ...state.nodes.filter(staleHold).map((n) => annotate(nameOf(n), { [G.held]: null })),
    ...state.nodes.filter(staleCordon).flatMap((n) => uncordon(n)),
  ];
}
