import type { V1Node } from '@kubernetes/client-node';
import { annotate, normal, warning, type Action, type SetCondition } from './actions.js';
import { GUARD_KEYS as G, OVERDUE_CONDITION } from './keys.js';
import { annotation, awaitedBack, conditionStatus, nameOf } from './node-state.js';

/**
 * A node allowed to reboot that is not back within the limit gets a condition and an Event: an
 * admin must look. It keeps the slot, as FLUO's maintainers want (CLUO#91: releasing it on a
 * timeout would spread a bad update); the guard lets no other node go while it holds it. The time
 * counts from when a guard first saw its reboot-ok, noted on the node.
 */

const seconds = (ms: number) => `${Math.round(ms / 1000)}s`;

const condition = (node: string, status: SetCondition['status'], reason: string, message: string): SetCondition => ({
  kind: 'condition',
  node,
  type: OVERDUE_CONDITION,
  status,
  reason,
  message,
});

export function watchReturn(n: V1Node, now: Date, overdueMs: number): Action[] {
  const name = nameOf(n);
  const since = Date.parse(annotation(n, G.rebootOkSince) ?? '');
  const overdue = conditionStatus(n, OVERDUE_CONDITION) === 'True';
  const waited = now.getTime() - since;
  if (!awaitedBack(n)) {
    const back = `back ${Number.isNaN(waited) ? '' : `${seconds(waited)} `}after its reboot-ok, or released`;
    return [
      ...(annotation(n, G.rebootOkSince) ? [annotate(name, { [G.rebootOkSince]: null })] : []),
      ...(overdue ? [condition(name, 'False', 'NotAwaited', back), normal(name, 'RebootNoLongerOverdue', back)] : []),
    ];
  }
  if (Number.isNaN(since)) return [annotate(name, { [G.rebootOkSince]: now.toISOString() })];
  if (overdue || waited <= overdueMs) return [];
  const why = `not back ${seconds(waited)} after its reboot-ok (limit ${seconds(overdueMs)}): it keeps the reboot slot until it is back or an admin releases it`;
  return [condition(name, 'True', 'NotBackInTime', why), warning(name, 'RebootOverdue', why)];
}
