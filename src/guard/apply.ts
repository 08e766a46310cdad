import os from 'node:os';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { describeError, type Log } from '../kube/client.js';
import { EVENT_NAMESPACE } from '../render/update-operator/guard-contract.js';
import type { Action } from './actions.js';
import { policyVersion } from './read-state.js';

/**
 * Sends a pass's actions in order. After a node's change fails, the rest of its actions wait for
 * the next pass; a refused eviction holds back only its own pod.
 */

const COMPONENT = 'metal-lab-rollout-guard';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

async function send(core: CoreV1Api, a: Action, now: Date, policy: () => Promise<string>): Promise<void> {
  switch (a.kind) {
    case 'annotate':
      await core.patchNode({ name: a.node, body: { metadata: { annotations: a.set } } }, mergePatch);
      return;
    case 'cordon':
      await core.patchNode({ name: a.node, body: { metadata: { annotations: a.set }, spec: { unschedulable: a.unschedulable } } }, mergePatch);
      return;
    case 'evict':
      await core.createNamespacedPodEviction({
        name: a.pod,
        namespace: a.namespace,
        body: { apiVersion: `policy/${await policy()}`, kind: 'Eviction', metadata: { name: a.pod, namespace: a.namespace } },
      });
      return;
    case 'condition': {
      const stamp = now.toISOString();
      // Strategic merge keys conditions by type: the kubelet's own stay as they are.
      const condition = { type: a.type, status: a.status, reason: a.reason, message: a.message, lastHeartbeatTime: stamp, lastTransitionTime: stamp };
      await core.patchNodeStatus({ name: a.node, body: { status: { conditions: [condition] } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
      return;
    }
    case 'event':
      await core.createNamespacedEvent({
        namespace: EVENT_NAMESPACE,
        body: {
          metadata: { generateName: `${a.node}.` },
          // The uid is the node's name, as the kubelet writes it and kubectl describe node looks it up.
          involvedObject: { apiVersion: 'v1', kind: 'Node', name: a.node, uid: a.node },
          type: a.type,
          reason: a.reason,
          message: a.message,
          source: { component: COMPONENT, host: os.hostname() },
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
  }
}

const describeSet = (set: Record<string, string | null>) => Object.entries(set).map(([k, v]) => (v === null ? `${k}-` : `${k}=${v}`));

function describeAction(a: Action): string {
  switch (a.kind) {
    case 'annotate':
      return `${a.node}: ${describeSet(a.set).join(' ')}`;
    case 'cordon':
      return `${a.node}: ${[a.unschedulable ? 'cordon' : 'uncordon', ...describeSet(a.set)].join(' ')}`;
    case 'evict':
      return `${a.node}: evict ${a.namespace}/${a.pod}`;
    case 'condition':
      return `${a.node}: condition ${a.type}=${a.status} (${a.reason})`;
    case 'event':
      return `${a.node}: ${a.type} event ${a.reason}: ${a.message}`;
  }
}

export async function applyActions(kc: KubeConfig, actions: readonly Action[], log: Log, now = new Date()): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  // Asked once, by the pass's first eviction.
  let version: Promise<string> | undefined;
  const policy = () => (version ??= policyVersion(kc));
  const failed = new Set<string>();
  for (const a of actions) {
    if (failed.has(a.node)) continue;
    try {
      await send(core, a, now, policy);
      log(describeAction(a));
    } catch (err) {
      if (a.kind !== 'evict') failed.add(a.node);
      log(`failed, next pass retries: ${describeAction(a)}: ${describeError(err)}`);
    }
  }
}
