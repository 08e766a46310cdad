import { fluoImageRef } from '../../ground/cluster.js';
import type { EnvVar, Mount } from '../bootkube/pod.js';

/** The pod both FLUO workloads run: one container of the built image, under its ServiceAccount. */

/** Where `metal-lab build fluo` puts the binaries in the image (its entrypoint is the agent). */
export const BIN_DIR = '/bin';

export interface FluoPod {
  /** The workload's name, its pods' `app` label and its selector. */
  app: string;
  container: string;
  serviceAccountName: string;
  command: string[];
  env: EnvVar[];
  mounts?: Mount[];
  securityContext?: object;
  tolerations: object[];
}

export const fieldEnv = (name: string, fieldPath: string): EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });

export function fluoPodTemplate(p: FluoPod) {
  const mounts = p.mounts ?? [];
  return {
    metadata: { labels: { app: p.app } },
    spec: {
      serviceAccountName: p.serviceAccountName,
      containers: [
        {
          name: p.container,
          image: fluoImageRef(),
          // Preloaded on every node by the lab: there is no registry to pull it from.
          imagePullPolicy: 'Never',
          command: p.command,
          env: p.env,
          ...(p.securityContext ? { securityContext: p.securityContext } : {}),
          ...(mounts.length ? { volumeMounts: mounts.map((m) => ({ name: m.name, mountPath: m.mountPath, readOnly: m.readOnly ?? false })) } : {}),
        },
      ],
      tolerations: p.tolerations,
      ...(mounts.length ? { volumes: mounts.map((m) => ({ name: m.name, ...m.source })) } : {}),
    },
  };
}
