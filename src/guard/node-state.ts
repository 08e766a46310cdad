import type { V1Node } from '@kubernetes/client-node';
import { FLUO_KEYS as F, GUARD_KEYS as G } from './keys.js';

/** What a node's FLUO labels and annotations say about where it is in its reboot. */

export const nameOf = (n: V1Node) => n.metadata?.name ?? '';
export const annotation = (n: V1Node, key: string): string | undefined => n.metadata?.annotations?.[key];
export const label = (n: V1Node, key: string): string | undefined => n.metadata?.labels?.[key];
const isTrue = (n: V1Node, key: string) => annotation(n, key) === 'true';

/** Selected by the operator (before-reboot) and not yet let go by the guard. */
export const awaitsGuard = (n: V1Node) => label(n, F.beforeReboot) === 'true' && !isTrue(n, G.beforeHook);

/**
 * Selected, cordoned and not yet let go: the guard drains it (drain.ts). Cordoned by anyone: a node
 * someone else cordoned is drained as well, and left cordoned, as FLUO's agent leaves it.
 */
export const draining = (n: V1Node) => awaitsGuard(n) && n.spec?.unschedulable === true;

/** The guard cordoned it, so the guard uncordons it once done with it (drain.ts). */
export const cordonedByGuard = (n: V1Node) => annotation(n, G.cordoned) !== undefined;

/** Back and being checked by the operator (after-reboot) and not yet released by the guard. */
export const awaitsCheck = (n: V1Node) => label(n, F.afterReboot) === 'true' && !isTrue(n, G.afterHook);

/**
 * Drained by the guard, or past it and not yet released: let go by it, allowed to reboot,
 * rebooting, or back and being checked. FLUO counts a node in its one slot by fewer signs, so a
 * report landing mid-pass can free the slot early (update-operator.test.ts); any one of these
 * keeps the guard's.
 */
export const holdsSlot = (n: V1Node) =>
  draining(n) ||
  (label(n, F.beforeReboot) === 'true' && isTrue(n, G.beforeHook)) ||
  isTrue(n, F.rebootOk) ||
  isTrue(n, F.rebootInProgress) ||
  label(n, F.afterReboot) === 'true';

/** Allowed to reboot and not back yet: back is the agent started again (§1.3 step 8) or the operator's after-reboot label. */
export const awaitedBack = (n: V1Node) =>
  isTrue(n, F.rebootOk) && label(n, F.afterReboot) !== 'true' && (isTrue(n, F.rebootNeeded) || isTrue(n, F.rebootInProgress));

export const conditionStatus = (n: V1Node, type: string) => n.status?.conditions?.find((c) => c.type === type)?.status;
