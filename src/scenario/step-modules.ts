/**
 * The modules of the Kubernetes and rollout steps and checks, loaded when one runs: a scenario
 * without them does not pay for their imports (the Kubernetes client alone takes a second on a
 * slow machine).
 */
export const kubernetes = () => import('./kubernetes.js');
export const rollouts = () => import('./rollout-steps.js');
