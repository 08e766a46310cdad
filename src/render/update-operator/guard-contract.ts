/**
 * What the rollout guard (src/guard) and the manifests that deploy it must agree on. Here, on the
 * render's floor, because the render starts the operator and grants the guard its rights.
 */

/** The guard's hooks: the operator, started with them, waits for each to be "true" before a node's reboot and after it. */
export const GUARD_HOOKS = {
  before: 'metal-lab.dev/rollout-guard.before-reboot',
  after: 'metal-lab.dev/rollout-guard.after-reboot',
} as const;

/** Where the guard records a node's Events: where a kubelet does, and kubectl describe node finds them. */
export const EVENT_NAMESPACE = 'default';
