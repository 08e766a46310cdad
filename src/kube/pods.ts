import type { V1Pod } from '@kubernetes/client-node';

/** How the lab tells the control plane's pods apart, from what the API shows of them. */

export const CONTROL_PLANE_NAMESPACE = 'kube-system';
export const SELF_HOSTED_COMPONENTS = ['kube-apiserver', 'kube-scheduler', 'kube-controller-manager'] as const;
export type Component = (typeof SELF_HOSTED_COMPONENTS)[number];

/** bootkube names its temporary static pods bootstrap-<component>; their mirror pods add -<node>. */
export const BOOTSTRAP_PREFIX = 'bootstrap-';
/** The pod-checkpointer's mark on a checkpoint copy: the value is the parent pod's namespace/name. */
export const CHECKPOINT_OF = 'checkpointer.alpha.coreos.com/checkpoint-of';

/** The DaemonSet (apiserver) or ReplicaSet (Deployments) that owns a pod, if any; mirror pods are owned by their Node. */
export function workloadOwner(pod: V1Pod): string | undefined {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.kind === 'DaemonSet' || o.kind === 'ReplicaSet');
  return owner ? `${owner.kind}/${owner.name}` : undefined;
}

/** A component's self-hosted pods: named for it and owned by a workload, never a static or checkpoint pod. */
export function selfHostedPods(pods: readonly V1Pod[], component: Component): V1Pod[] {
  return pods.filter((p) => (p.metadata?.name ?? '').startsWith(`${component}-`) && workloadOwner(p) !== undefined);
}

export const bootstrapPods = (pods: readonly V1Pod[]) => pods.filter((p) => (p.metadata?.name ?? '').startsWith(BOOTSTRAP_PREFIX));

export const podName = (p: V1Pod) => p.metadata?.name ?? '?';
/** The kubelet's API record of a static pod: the pod itself lives in a manifest on the node. */
export const isMirrorPod = (p: V1Pod) => p.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined;
export const isRunning = (p: V1Pod) => p.status?.phase === 'Running';

/** `name Phase@node`, the way the lab logs pods. */
export function describePod(p: V1Pod): string {
  return `${podName(p)} ${p.status?.phase ?? 'Unknown'}${p.spec?.nodeName ? `@${p.spec.nodeName}` : ''}`;
}

export interface PlaneStatus {
  /** Every component has at least one self-hosted pod and all of them are Running. */
  ready: boolean;
  /** Per component: `kube-apiserver: kube-apiserver-x Running@node1` or `kube-scheduler: no pod`. */
  lines: string[];
}

/** bootkube's pivot condition: each self-hosted component's pods exist and are Running. */
export function selfHostedStatus(pods: readonly V1Pod[]): PlaneStatus {
  let ready = true;
  const lines = SELF_HOSTED_COMPONENTS.map((c) => {
    const mine = selfHostedPods(pods, c);
    if (mine.length === 0 || !mine.every(isRunning)) ready = false;
    return `${c}: ${mine.length ? mine.map(describePod).join(', ') : 'no pod'}`;
  });
  return { ready, lines };
}

/** Controllers with no Running self-hosted kube-apiserver pod: the DaemonSet runs one on each. */
export function controllersWithoutApiserver(pods: readonly V1Pod[], controllers: readonly string[]): string[] {
  const running = new Set(selfHostedPods(pods, 'kube-apiserver').filter(isRunning).map((p) => p.spec?.nodeName));
  return controllers.filter((name) => !running.has(name));
}

/**
 * Checkpoint pods with no Running parent on their node: the checkpoint should have stepped
 * aside (bootkube's e2e check). bootkube's pod-checkpointer names the parent pod
 * (`kube-system/kube-apiserver-x7k2p`); the lab's pre-rendered checkpoint can only name its
 * component (`kube-apiserver`), so a Running workload pod of that name or prefix is its parent.
 */
export function orphanCheckpoints(pods: readonly V1Pod[]): V1Pod[] {
  return pods.filter((p) => {
    const of = p.metadata?.annotations?.[CHECKPOINT_OF];
    if (of === undefined) return false;
    const parent = of.slice(of.indexOf('/') + 1);
    return !pods.some((q) =>
      q !== p && isRunning(q) && workloadOwner(q) !== undefined && q.spec?.nodeName === p.spec?.nodeName &&
      (podName(q) === parent || podName(q).startsWith(`${parent}-`)));
  });
}
