import type { V1Node } from '@kubernetes/client-node';
import { annotate, normal, warning, type Action } from './actions.js';
import { continueDrain, startDrain } from './drain.js';
import { describeBroken, planDrain, type DrainPlan } from './drain-budget.js';
import type { GuardPolicy, GuardState } from './decide.js';
import { GUARD_KEYS as G } from './keys.js';
import { annotation, awaitsGuard, draining, holdsSlot, nameOf } from './node-state.js';
import { pauseFor, type FailedUpdate } from './pauses.js';

/**
 * The before-reboot hook: of the nodes the operator selected, the guard lets one go when no other
 * node holds the slot, the rollout is not paused on a failed update and draining it breaks no
 * PodDisruptionBudget. It drains that node itself, and sets its hook (the operator then gives it
 * reboot-ok) once the drain is done (drain.ts). Others stay held, with the reason on the node
 * and in an Event.
 *
 * A node selected while another holds the slot (FLUO's race, update-operator.test.ts) is also
 * paused, so that the operator drops it. Left selected, it would count twice against the
 * operator's one slot once the other is marked after-reboot, and FLUO v0.9.0 panics on that
 * (make() with capacity -1 in rebootableNodes), every pass until one of them is released.
 */

interface Hold {
  why: string;
  /** Waiting its turn is routine; the others want an admin's eye. */
  routine: boolean;
  /** The node that holds the slot, when that is the reason. */
  slot?: string;
}

function holdOf(n: V1Node, slot: string[], plan: DrainPlan, failures: FailedUpdate[]): Hold | undefined {
  const [failed] = failures;
  if (failed) return { why: `the rollout is paused: the update to ${failed.version} failed on ${failed.node}`, routine: false };
  const other = slot.find((s) => s !== nameOf(n));
  if (other) return { why: `${other} is still rebooting, and nodes reboot one at a time: reboot-paused until the operator drops it`, routine: true, slot: other };
  // Once cordoned, what the budgets hold back no longer holds the node: its drain waits on them (drain.ts).
  if (!draining(n) && plan.broken.length > 0) return { why: plan.broken.map((b) => describeBroken(b)).join('; '), routine: false };
  return undefined;
}

export function letGo(state: GuardState, policy: GuardPolicy, failures: FailedUpdate[], now: Date): Action[] {
  const actions: Action[] = [];
  const slot = state.nodes.filter(holdsSlot).map(nameOf);
  for (const n of state.nodes.filter(awaitsGuard)) {
    const name = nameOf(n);
    const plan = planDrain(state.podsOn.get(name) ?? [], state.budgets, policy.exempt);
    const hold = holdOf(n, slot, plan, failures);
    if (hold) {
      const pause = hold.slot ? pauseFor(n, hold.slot) : {};
      if (annotation(n, G.held) !== hold.why || Object.keys(pause).length > 0) {
        actions.push(annotate(name, { [G.held]: hold.why, ...pause }), (hold.routine ? normal : warning)(name, 'RebootHeld', hold.why));
      }
      continue;
    }
    actions.push(...(draining(n) ? continueDrain(n, plan) : startDrain(n, plan, now)));
    // The one let go in this pass holds the slot for the rest of it.
    slot.push(name);
  }
  return actions;
}
