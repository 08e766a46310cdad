import type { V1Node } from '@kubernetes/client-node';
import { annotate, normal, warning, type Action } from './actions.js';
import { FLUO_KEYS as F, GUARD_KEYS as G } from './keys.js';
import { annotation, label, nameOf } from './node-state.js';

/**
 * A failed update pauses the rollout with FLUO's own lever: every node not on the version that
 * failed gets reboot-paused, so the operator selects none of them (§1.4) whatever happens to the
 * slot. The guard notes on each the failed node it paused it for, and removes only the pauses it
 * set, once no node carries the failure mark: an admin's own pauses stay.
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

export function pauseOrResume(nodes: readonly V1Node[], failures: FailedUpdate[]): Action[] {
  const [failed] = failures;
  if (!failed) {
    return nodes
      .filter((n) => annotation(n, G.pausedFor))
      .flatMap((n) => [
        annotate(nameOf(n), { [F.rebootPaused]: null, [G.pausedFor]: null }),
        normal(nameOf(n), 'RolloutResumed', `reboot-paused removed: no node is marked ${G.updateFailed} any more`),
      ]);
  }
  const failedVersions = new Set(failures.map((f) => f.version));
  return nodes
    .filter((n) => !failedVersions.has(label(n, F.version) ?? '') && annotation(n, F.rebootPaused) !== 'true')
    .flatMap((n) => [
      annotate(nameOf(n), { [F.rebootPaused]: 'true', [G.pausedFor]: failed.node }),
      warning(nameOf(n), 'RolloutPaused', `reboot-paused: the update to ${failed.version} failed on ${failed.node}. To resume: kubectl annotate node ${failed.node} ${G.updateFailed}-`),
    ]);
}
