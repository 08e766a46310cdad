import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { annotate, cordon, evict, normal, warning, type Action } from './actions.js';
import { describeBroken, type DrainPlan } from './drain-budget.js';
import { FLUO_KEYS as F, GUARD_KEYS as G } from './keys.js';
import { annotation, cordonedByGuard, label, nameOf } from './node-state.js';

/**
 * The guard drains the node it lets go itself, and sets its before-reboot hook only once the drain
 * is done. FLUO's agent drains too, but logs a drain error and reboots anyway (FLUO#188): a budget
 * that allowed the drain when the guard looked may not by the time the agent evicts. So the guard
 * cordons the node, marks it as its own cordon, evicts what the budgets allow, pass after pass,
 * and lets the node go when none of the pods a drain evicts is left: the agent's drain then finds
 * nothing to evict. The agent uncordons only nodes it cordoned itself, so the guard uncordons its
 * own when it releases them.
 */

const evictAll = (node: string, pods: readonly V1Pod[]) => pods.map((p) => evict(node, p.metadata?.namespace ?? '', p.metadata?.name ?? ''));

/** A node let go, budgets allowing its whole drain: cordoned, marked, and its pods evicted in the same pass. */
export function startDrain(n: V1Node, plan: DrainPlan, now: Date): Action[] {
  const name = nameOf(n);
  return [cordon(name, true, { [G.cordoned]: now.toISOString(), [G.held]: null }), ...evictAll(name, plan.evict)];
}

/** The hook, once drained: it notes what the node runs and what it is to boot, to tell a failed update when it is back. */
function drained(n: V1Node): Action[] {
  const name = nameOf(n);
  const from = label(n, F.version) ?? null;
  const to = annotation(n, F.newVersion) ?? null;
  return [
    annotate(name, { [G.beforeHook]: 'true', [G.held]: null, [G.fromVersion]: from, [G.toVersion]: to }),
    normal(name, 'RebootAllowed', `drained: may reboot${to ? ` into ${to}` : ''}`),
  ];
}

/**
 * A node the guard drains: it evicts what the budgets allow now and says on the node which hold
 * back the rest (a Warning when that changes); an eviction refused anyway (429: the budget
 * changed since it was read) is retried in the next pass. The node stays cordoned meanwhile.
 */
export function continueDrain(n: V1Node, plan: DrainPlan): Action[] {
  if (plan.left.length === 0) return drained(n);
  const name = nameOf(n);
  const why = plan.broken.length > 0 ? plan.broken.map((b) => describeBroken(b, 'cordoned, its drain waits on')).join('; ') : undefined;
  const told = annotation(n, G.held) === why ? [] : why ? [annotate(name, { [G.held]: why }), warning(name, 'RebootHeld', why)] : [annotate(name, { [G.held]: null })];
  return [...told, ...evictAll(name, plan.evict)];
}

/** Uncordons a node the guard cordoned and drops its mark, with `set` in the same patch; a node cordoned by another stays so. */
export function uncordon(n: V1Node, set: Record<string, string | null> = {}): Action[] {
  if (cordonedByGuard(n)) return [cordon(nameOf(n), false, { ...set, [G.cordoned]: null })];
  return Object.keys(set).length > 0 ? [annotate(nameOf(n), set)] : [];
}
