/**
 * What one pass of the guard decides to do, as data: decide() makes them from what it read, apply()
 * sends them. Each Event goes with the change it reports, so the next pass, seeing the change, does
 * not send it again, whichever guard process makes that pass.
 */

/** Annotations to set, or with null to remove, in one merge patch of the node. */
export interface Annotate {
  kind: 'annotate';
  node: string;
  set: Record<string, string | null>;
}

/** A condition of the node's status, as a kubelet or node-problem-detector sets one. */
export interface SetCondition {
  kind: 'condition';
  node: string;
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
}

/** spec.unschedulable and the annotations that go with it, in one merge patch: the guard's cordon and its mark never part. */
export interface Cordon {
  kind: 'cordon';
  node: string;
  unschedulable: boolean;
  set: Record<string, string | null>;
}

/** An eviction of a pod on the node (pods/eviction), so that its PodDisruptionBudget has the last word. */
export interface Evict {
  kind: 'evict';
  node: string;
  namespace: string;
  pod: string;
}

export interface NodeEvent {
  kind: 'event';
  node: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export type Action = Annotate | SetCondition | Cordon | Evict | NodeEvent;

export const annotate = (node: string, set: Record<string, string | null>): Annotate => ({ kind: 'annotate', node, set });
export const cordon = (node: string, unschedulable: boolean, set: Record<string, string | null>): Cordon => ({ kind: 'cordon', node, unschedulable, set });
export const evict = (node: string, namespace: string, pod: string): Evict => ({ kind: 'evict', node, namespace, pod });
export const warning = (node: string, reason: string, message: string): NodeEvent => ({ kind: 'event', node, type: 'Warning', reason, message });
export const normal = (node: string, reason: string, message: string): NodeEvent => ({ kind: 'event', node, type: 'Normal', reason, message });
