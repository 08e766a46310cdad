import type { EnvVar, Mount } from '../bootkube/pod.js';

/** The pod each workload of the update operator runs: one container of a lab-built image, under its ServiceAccount. */

/** Where `metal-lab build fluo` puts the binaries in the image (its entrypoint is the agent). */
export const BIN_DIR = '/bin';

/** Allowed onto controllers, as upstream's operator is: the taints a control plane's nodes may carry. */
export const CONTROLLER_TOLERATIONS = ['node-role.kubernetes.io/master', 'node-role.kubernetes.io/control-plane'].map((key) => ({
  key,
  operator: 'Exists',
  effect: 'NoSchedule',
}));

export interface WorkloadPod {
  /** The workload's name, its pods' `app` label and its selector. */
  app: string;
  container: string;
  serviceAccountName: string;
  image: string;
  /** Instead of the image's entrypoint. */
  command?: string[];
  /** To the entrypoint, or to `command`. */
  args?: string[];
  env?: EnvVar[];
  mounts?: Mount[];
  securityContext?: object;
  tolerations: object[];
}

export const fieldEnv = (name: string, fieldPath: string): EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });

export function podTemplate(p: WorkloadPod) {
  const mounts = p.mounts ?? [];
  return {
    metadata: { labels: { app: p.app } },
    spec: {
      serviceAccountName: p.serviceAccountName,
      containers: [
        {
          name: p.container,
          image: p.image,
          // Preloaded on every node by the lab: there is no registry to pull it from.
          imagePullPolicy: 'Never',
          ...(p.command ? { command: p.command } : {}),
          ...(p.args ? { args: p.args } : {}),
          ...(p.env?.length ? { env: p.env } : {}),
          ...(p.securityContext ? { securityContext: p.securityContext } : {}),
          ...(mounts.length ? { volumeMounts: mounts.map((m) => ({ name: m.name, mountPath: m.mountPath, readOnly: m.readOnly ?? false })) } : {}),
        },
      ],
      tolerations: p.tolerations,
      ...(mounts.length ? { volumes: mounts.map((m) => ({ name: m.name, ...m.source })) } : {}),
    },
  };
}
