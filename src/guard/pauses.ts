import type { V1Node } from '@kubernetes/client-node';
import { annotate, normal, warning, type Action } from './actions.js';
import { FLUO_KEYS as F, GUARD_KEYS as G } from './keys.js';
import { annotation, label, nameOf } from './node-state.js';

/**
 * The guard's reboot-paused, FLUO's own lever: a paused node is not rebootable, so the operator
 * selects none (§1.4) and drops one it had selected (its cleanup, first in every pass). The guard
 * pauses every node not on a version that failed, and a second node the operator selected while
 * another held the slot. It notes the node each pause is for, and lifts only its own: once no
 * node carries a failure mark and the operator no longer has the paused node selected. Unpaused,
 * a node is selected again only when the operator's count finds the slot free, in turn. An
 * admin's pauses stay.
 */

export interface FailedUpdate {
  node: string;
  /** The version it failed to boot. */
  version: string;
}

export const failedUpdates = (nodes: readonly V1Node[]): FailedUpdate[] =>
  nodes.flatMap((n) => {
    const version = annotation(n, G.updateFailed);
    return version ? [{ node: nameOf(n), version }] : [];
  });

/** The annotations that pause a node for `waitsFor`; none where it is paused already. */
export const pauseFor = (n: V1Node, waitsFor: string) => (annotation(n, F.rebootPaused) === 'true' ? {} : { [F.rebootPaused]: 'true', [G.pausedFor]: waitsFor });

/** A failed update pauses every node not on the version that failed. */
export function pauseRollout(nodes: readonly V1Node[], failures: FailedUpdate[]): Action[] {
  const [failed] = failures;
  if (!failed) return [];
  const failedVersions = new Set(failures.map((f) => f.version));
  return nodes
    .filter((n) => !failedVersions.has(label(n, F.version) ?? '') && annotation(n, F.rebootPaused) !== 'true')
    .flatMap((n) => [
      annotate(nameOf(n), pauseFor(n, failed.node)),
      warning(nameOf(n), 'RolloutPaused', `reboot-paused: the update to ${failed.version} failed on ${failed.node}. To resume: kubectl annotate node ${failed.node} ${G.updateFailed}-`),
    ]);
}

export function liftPauses(nodes: readonly V1Node[], failures: FailedUpdate[]): Action[] {
  if (failures.length > 0) return [];
  return nodes.flatMap((n) => {
    const pausedFor = annotation(n, G.pausedFor);
    if (!pausedFor || label(n, F.beforeReboot) === 'true') return [];
    return [
      annotate(nameOf(n), { [F.rebootPaused]: null, [G.pausedFor]: null }),
      normal(nameOf(n), 'RebootUnpaused', `reboot-paused removed (it was for ${pausedFor}): no update failed, and the operator selects it again in turn`),
    ];
  });
}
