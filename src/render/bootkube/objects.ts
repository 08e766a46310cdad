import { stringify } from 'yaml';

/** Kubernetes objects as plain data, and how they become manifest files. */

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
} & Record<string, unknown>;

export const NAMESPACE = 'kube-system';

/** Which form of a control-plane pod this is: the temporary static pod, the API object, or its on-disk checkpoint. */
export type Stage = 'bootstrap' | 'self-hosted' | 'checkpoint';

/**
 * Every control-plane pod carries its stage, so "no bootstrap pod is left" is one label query and
 * the workloads' selectors never match a static (mirror) pod of the same component.
 */
export const STAGE_LABEL = 'metal-lab.dev/control-plane';

/** bootkube's markers: the pod-checkpointer checkpoints pods annotated CHECKPOINT, and tags the copy with CHECKPOINT_OF. */
export const CHECKPOINT_ANNOTATION = 'checkpointer.alpha.coreos.com/checkpoint';
export const CHECKPOINT_OF_ANNOTATION = 'checkpointer.alpha.coreos.com/checkpoint-of';

export function podLabels(component: string, stage: Stage): Record<string, string> {
  return { tier: 'control-plane', 'k8s-app': component, [STAGE_LABEL]: stage };
}

export function meta(name: string, extra: Omit<KubeObject['metadata'], 'name' | 'namespace'> = {}, namespace = NAMESPACE): KubeObject['metadata'] {
  return { name, namespace, ...extra };
}

/**
 * The lab creates manifests/ in lexical order after namespaces, so a file's prefix is its kind's
 * rank: identities and RBAC, then the config workloads mount, then the workloads, then PDBs.
 */
const CREATE_ORDER: Record<string, string> = {
  Namespace: '00',
  ServiceAccount: '10',
  ClusterRole: '11',
  Role: '11',
  ClusterRoleBinding: '12',
  RoleBinding: '12',
  Secret: '20',
  ConfigMap: '20',
  Service: '30',
  DaemonSet: '30',
  Deployment: '30',
  PodDisruptionBudget: '40',
};

function creationRank(obj: KubeObject): string {
  const rank = CREATE_ORDER[obj.kind];
  if (!rank) throw new Error(`no creation rank for kind ${obj.kind}`);
  return rank;
}

/** <rank>-<name>-<kind>.yaml: unique per object, ordered for creation. */
function manifestName(obj: KubeObject): string {
  return `${creationRank(obj)}-${obj.metadata.name}-${obj.kind.toLowerCase()}.yaml`;
}

/** By their kinds' creation ranks, objects of one rank in the order given (the sort is stable). */
export function byCreationRank(objects: readonly KubeObject[]): KubeObject[] {
  return [...objects].sort((a, b) => (creationRank(a) < creationRank(b) ? -1 : creationRank(a) > creationRank(b) ? 1 : 0));
}

/** Each object as YAML in `<dir>/<rank>-<name>-<kind>.yaml`, one object a file. */
export function manifestFiles(objects: readonly KubeObject[], dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const obj of objects) {
    const file = `${dir}/${manifestName(obj)}`;
    if (files.has(file)) throw new Error(`two manifests would be written to ${file}`);
    files.set(file, toYaml(obj));
  }
  return files;
}

export function toYaml(obj: object): string {
  // No anchors: shared label objects would otherwise come out as &a1/*a1, which some tools mishandle.
  return stringify(obj, { lineWidth: 0, aliasDuplicateObjects: false });
}

export function secret(name: string, files: Record<string, string>): KubeObject {
  const data = Object.fromEntries(Object.entries(files).map(([key, text]) => [key, Buffer.from(text).toString('base64')]));
  return { apiVersion: 'v1', kind: 'Secret', metadata: meta(name), type: 'Opaque', data };
}

export function configMap(name: string, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(name), data };
}

export function serviceAccount(name: string, namespace = NAMESPACE): KubeObject {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(name, {}, namespace) };
}

/** Binds ServiceAccounts of one namespace (kube-system unless named) to a ClusterRole, cluster-wide. */
export function clusterRoleBinding(name: string, clusterRole: string, serviceAccounts: string[], namespace = NAMESPACE): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
    subjects: serviceAccounts.map((sa) => ({ kind: 'ServiceAccount', name: sa, namespace })),
  };
}

