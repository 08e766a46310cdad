import type { V1Node } from '@kubernetes/client-node';
import { annotate, normal, warning, type Action } from './actions.js';
import { uncordon } from './drain.js';
import { FLUO_KEYS as F, GUARD_KEYS as G } from './keys.js';
import { annotation, conditionStatus, label, nameOf } from './node-state.js';

/**
 * The after-reboot hook, for a node the operator marked after-reboot: released once Ready on the
 * version it went to boot, and uncordoned if the guard cordoned it. A node back on the version it
 * had when let go, while it was to boot another, failed its update (the A/B fallback booted the
 * old slot): the guard keeps its hook off, so the node keeps the operator's one slot and stays
 * cordoned, and marks the failure, which pauses the rollout (pauses.ts). An admin resumes by
 * removing the mark; the next pass then releases the node.
 */
export function checkBack(n: V1Node): Action[] {
  const name = nameOf(n);
  if (annotation(n, G.updateFailed)) return [];
  const from = annotation(n, G.fromVersion);
  const to = annotation(n, G.toVersion);
  const running = label(n, F.version);
  // The record is consumed either way: a failure is told once, and the mark carries it on.
  const forget = { [G.fromVersion]: null, [G.toVersion]: null, [G.held]: null };
  if (from && to && to !== from && running === from) {
    return [
      annotate(name, { ...forget, [G.updateFailed]: to }),
      warning(
        name,
        'UpdateFailed',
        `back on ${from}, not on ${to}: the rollout is paused, every node not on ${to} gets reboot-paused and this one keeps the reboot slot. ` +
          `To resume once the cause is known: kubectl annotate node ${name} ${G.updateFailed}-`,
      ),
    ];
  }
  if (conditionStatus(n, 'Ready') !== 'True') {
    const why = 'back from its reboot but not Ready';
    return annotation(n, G.held) === why ? [] : [annotate(name, { [G.held]: why }), warning(name, 'RebootHeld', why)];
  }
  // Its cordon, if the guard's, goes with the release (drain.ts): the agent leaves a cordon it did not make.
  return [...uncordon(n, { ...forget, [G.afterHook]: 'true' }), normal(name, 'RebootChecked', `back and Ready${running ? ` on ${running}` : ''}`)];
}
