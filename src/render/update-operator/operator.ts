import type { UpdatesSpec } from '../../ground/lab-spec.js';
import { meta, type KubeObject } from '../bootkube/objects.js';
import { BIN_DIR, fieldEnv, fluoPodTemplate } from './pod.js';
import { NAMESPACE, OPERATOR, OPERATOR_SERVICE_ACCOUNT } from './rbac.js';

/**
 * The operator's flags from the lab's updates: block. FLUO opens its window only with both
 * window flags, and takes each annotation list as one comma-separated flag.
 */
export function operatorFlags(u: UpdatesSpec): string[] {
  const list = (flag: string, keys: string[]) => (keys.length ? [`--${flag}=${keys.join(',')}`] : []);
  return [
    ...(u.rebootWindow ? [`--reboot-window-start=${u.rebootWindow.start}`, `--reboot-window-length=${u.rebootWindow.length}`] : []),
    ...list('before-reboot-annotations', u.beforeRebootAnnotations),
    ...list('after-reboot-annotations', u.afterRebootAnnotations),
  ];
}

/** One replica, leader-elected all the same, that may run on a controller as upstream's does. */
export function operatorDeployment(u: UpdatesSpec): KubeObject {
  const template = fluoPodTemplate({
    app: OPERATOR,
    container: 'update-operator',
    serviceAccountName: OPERATOR_SERVICE_ACCOUNT,
    command: [`${BIN_DIR}/update-operator`, ...operatorFlags(u)],
    // Where its lock lives: the operator exits without it.
    env: [fieldEnv('POD_NAMESPACE', 'metadata.namespace')],
    tolerations: ['node-role.kubernetes.io/master', 'node-role.kubernetes.io/control-plane'].map((key) => ({ key, operator: 'Exists', effect: 'NoSchedule' })),
  });
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(OPERATOR, {}, NAMESPACE),
    spec: { replicas: 1, selector: { matchLabels: template.metadata.labels }, template },
  };
}
