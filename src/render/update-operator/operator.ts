import { fluoImageRef } from '../../ground/cluster.js';
import type { UpdatesSpec } from '../../ground/lab-spec.js';
import { meta, type KubeObject } from '../bootkube/objects.js';
import { GUARD_HOOKS } from './guard-contract.js';
import { BIN_DIR, CONTROLLER_TOLERATIONS, fieldEnv, podTemplate } from './pod.js';
import { NAMESPACE, OPERATOR, OPERATOR_SERVICE_ACCOUNT } from './rbac.js';

/**
 * The operator's flags: the lab's window, and the hooks it waits for, the rollout guard's first
 * and then the lab's own. FLUO opens its window only with both window flags. It takes each
 * annotation list as one comma-separated flag, and a second flag of the same name replaces the
 * first (flagutil.StringSliceFlag), so the guard's hook and the lab's share one.
 */
export function operatorFlags(u: UpdatesSpec): string[] {
  return [
    ...(u.rebootWindow ? [`--reboot-window-start=${u.rebootWindow.start}`, `--reboot-window-length=${u.rebootWindow.length}`] : []),
    `--before-reboot-annotations=${[GUARD_HOOKS.before, ...u.beforeRebootAnnotations].join(',')}`,
    `--after-reboot-annotations=${[GUARD_HOOKS.after, ...u.afterRebootAnnotations].join(',')}`,
  ];
}

/** One replica, leader-elected all the same, that may run on a controller as upstream's does. */
export function operatorDeployment(u: UpdatesSpec): KubeObject {
  const template = podTemplate({
    app: OPERATOR,
    container: 'update-operator',
    serviceAccountName: OPERATOR_SERVICE_ACCOUNT,
    image: fluoImageRef(),
    command: [`${BIN_DIR}/update-operator`, ...operatorFlags(u)],
    // Where its lock lives: the operator exits without it.
    env: [fieldEnv('POD_NAMESPACE', 'metadata.namespace')],
    tolerations: CONTROLLER_TOLERATIONS,
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(OPERATOR, {}, NAMESPACE),
    spec: { replicas: 1, selector: { matchLabels: template.metadata.labels }, template },
  };
}
