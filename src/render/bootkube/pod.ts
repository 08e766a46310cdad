import { CONTROLLER_LABEL, imageRef, NODE_PATHS, type ImageName } from '../../ground/cluster.js';
import { meta, type KubeObject, type Stage } from './objects.js';

/** Pod templates for the lab's host-network system pods, and the static-pod form of one. */

type VolumeSource =
  | { hostPath: { path: string; type?: string } }
  | { secret: { secretName: string } }
  | { configMap: { name: string } };

/** A volume and where the container sees it: the two always come together here. */
export interface Mount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  source: VolumeSource;
}

export type EnvVar = { name: string; value: string } | { name: string; valueFrom: { fieldRef: { fieldPath: string } } };

export interface PodParts {
  image: ImageName;
  kubeVersion: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  /** The container's name and program: the image's own (its name, on PATH) unless given. */
  container?: { name: string; command: string[] };
  args: string[];
  env?: EnvVar[];
  mounts: Mount[];
  privileged?: boolean;
  priorityClassName: 'system-cluster-critical' | 'system-node-critical';
  /** Self-hosted controller components: only nodes whose kubelet set CONTROLLER_LABEL. */
  controllersOnly?: boolean;
  serviceAccountName?: string;
  affinity?: object;
}

export interface PodTemplate {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

/**
 * Host network (the pod network is not up when these start), tolerating every taint (they must run
 * on tainted or not-yet-ready nodes), and the component's image tagged with the Kubernetes version.
 */
export function podTemplate(p: PodParts): PodTemplate {
  const container = {
    name: p.container?.name ?? p.image,
    image: imageRef(p.image, p.kubeVersion),
    command: [...(p.container?.command ?? [p.image]), ...p.args],
    ...(p.env ? { env: p.env } : {}),
    ...(p.privileged ? { securityContext: { privileged: true } } : {}),
    volumeMounts: p.mounts.map((m) => ({ name: m.name, mountPath: m.mountPath, ...(m.readOnly ? { readOnly: true } : {}) })),
  };
  return {
    metadata: { labels: p.labels, ...(p.annotations ? { annotations: p.annotations } : {}) },
    spec: {
      hostNetwork: true,
      priorityClassName: p.priorityClassName,
      ...(p.controllersOnly ? { nodeSelector: { [CONTROLLER_LABEL]: 'true' } } : {}),
      ...(p.affinity ? { affinity: p.affinity } : {}),
      ...(p.serviceAccountName ? { serviceAccountName: p.serviceAccountName } : {}),
      tolerations: [{ operator: 'Exists' }],
      containers: [container],
      volumes: p.mounts.map((m) => ({ name: m.name, ...m.source })),
    },
  };
}

/** The kubelet runs these from a file; it names the mirror pod <name>-<node>. */
export function staticPod(name: string, template: PodTemplate): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: meta(name, template.metadata), spec: template.spec };
}

/** Name of a control-plane pod in a stage that runs from a file (the self-hosted one is named by its workload). */
export function staticPodName(component: string, stage: Exclude<Stage, 'self-hosted'>): string {
  return stage === 'bootstrap' ? `bootstrap-${component}` : `${component}-checkpoint`;
}

/** Where a control-plane container finds its TLS and keys in each stage. */
export function secretsMount(stage: Stage, secretName: string): Mount {
  switch (stage) {
    case 'bootstrap':
      return { name: 'secrets', mountPath: NODE_PATHS.bootstrapSecrets, readOnly: true, source: { hostPath: { path: NODE_PATHS.bootstrapSecrets } } };
    case 'self-hosted':
      return { name: 'secrets', mountPath: '/etc/kubernetes/secrets', readOnly: true, source: { secret: { secretName } } };
    case 'checkpoint':
      return { name: 'secrets', mountPath: NODE_PATHS.checkpointSecrets, readOnly: true, source: { hostPath: { path: NODE_PATHS.checkpointSecrets } } };
  }
}

