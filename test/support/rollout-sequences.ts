import { FLUO_KEYS as K, GUARD_KEYS as G } from '../../src/guard/keys.js';

/**
 * Rollouts as the API sees them, one write at a time, for the rollout watch's tests: who writes
 * what in which order follows update-operator.md §1.3-1.4 (the agent, the operator) and
 * src/guard/README.md (the guard's hooks and pauses); the kubelet reports Ready and the boot id,
 * the disruption controller a budget's status. A step is one write: metadata and the cordon
 * (one patch), a node's status, or a budget's status, so the unit tests' record and a real
 * watch see the same instants.
 */

export type Meta = Record<string, string | null>;
export type RolloutStep =
  | { node: string; annotations?: Meta; labels?: Meta; unschedulable?: boolean }
  | { node: string; status: { ready: 'True' | 'False' | 'Unknown'; bootID: string } }
  | { budget: { currentHealthy: number; desiredHealthy: number; disruptionsAllowed: number } };

export const BUDGET = 'rollout-workload/web';

/** Three replicas, two of them required: one node's pod may be away at a time. */
const budget = (healthy: number): RolloutStep => ({ budget: { currentHealthy: healthy, desiredHealthy: 2, disruptionsAllowed: Math.max(0, healthy - 2) } });

export const bootId = (node: string, boot: number) => `boot-${node}-${boot}`;

/** The agent's report once the engine installed `to`: NEED_REBOOT (§1.2). */
export const installed = (node: string, to: string): RolloutStep => ({
  node,
  labels: { [K.rebootNeeded]: 'true' },
  annotations: { [K.rebootNeeded]: 'true', [K.status]: 'UPDATE_STATUS_UPDATED_NEED_REBOOT', [K.newVersion]: to },
});

/** The operator selects the node, the guard lets it go, the operator allows the reboot, the agent cordons and drains it; it goes down. */
export function goesDown(node: string, from: string, to: string, boot: number): RolloutStep[] {
  return [
    { node, labels: { [K.beforeReboot]: 'true' } },
    { node, annotations: { [G.beforeHook]: 'true', [G.fromVersion]: from, [G.toVersion]: to } },
    { node, labels: { [K.beforeReboot]: null }, annotations: { [G.beforeHook]: null, [K.rebootOk]: 'true' } },
    { node, annotations: { [K.rebootInProgress]: 'true', 'flatcar-linux-update.v1.flatcar-linux.net/agent-made-unschedulable': 'true' }, unschedulable: true },
    budget(2),
    { node, status: { ready: 'Unknown', bootID: bootId(node, boot) } },
  ];
}

/** Its kubelet reports the new boot, its agent starts again on `running` (§1.3 steps 1 and 8), the operator marks it after-reboot. */
export function comesBack(node: string, running: string, boot: number): RolloutStep[] {
  return [
    { node, status: { ready: 'True', bootID: bootId(node, boot + 1) } },
    {
      node,
      labels: { [K.version]: running, [K.rebootNeeded]: 'false' },
      annotations: { [K.rebootNeeded]: 'false', [K.rebootInProgress]: 'false', [K.status]: 'UPDATE_STATUS_IDLE' },
    },
    { node, labels: { [K.afterReboot]: 'true' } },
  ];
}

/** The guard's after-reboot hook, the operator's release, the agent's uncordon; the evicted pod is back. */
export function released(node: string): RolloutStep[] {
  return [
    { node, annotations: { [G.afterHook]: 'true', [G.fromVersion]: null, [G.toVersion]: null } },
    { node, labels: { [K.afterReboot]: null }, annotations: { [G.afterHook]: null, [K.rebootOk]: 'false' } },
    { node, annotations: { 'flatcar-linux-update.v1.flatcar-linux.net/agent-made-unschedulable': 'false' }, unschedulable: false },
    budget(3),
  ];
}

/** Every node installs `to` at its engine's check, then reboots into it in turn: boot 1 to boot 2. */
export function goodRollout(nodes: readonly string[], from: string, to: string): RolloutStep[] {
  return [...nodes.map((n) => installed(n, to)), ...nodes.flatMap((n) => [...goesDown(n, from, to, 1), ...comesBack(n, to, 1), ...released(n)])];
}

/**
 * `to` cannot boot: every node installs it, the first allowed to reboot comes back on `from`
 * (the A/B fallback), and the guard marks it update-failed and pauses the others for it.
 */
export function failedUpdate(nodes: readonly string[], from: string, to: string, boot: number): RolloutStep[] {
  const [first, ...others] = nodes as [string, ...string[]];
  return [
    ...nodes.map((n) => installed(n, to)),
    ...goesDown(first, from, to, boot),
    ...comesBack(first, from, boot),
    { node: first, annotations: { [G.fromVersion]: null, [G.toVersion]: null, [G.updateFailed]: to } },
    ...others.map((n): RolloutStep => ({ node: n, annotations: { [K.rebootPaused]: 'true', [G.pausedFor]: first } })),
  ];
}
