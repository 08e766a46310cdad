import os from 'node:os';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { describeError, type Log } from '../kube/client.js';
import { EVENT_NAMESPACE } from '../render/update-operator/guard-contract.js';
import type { Action } from './actions.js';

/** Sends a pass's actions in order. After a node's change fails, the rest of its actions wait for the next pass. */

const COMPONENT = 'metal-lab-rollout-guard';

async function send(core: CoreV1Api, a: Action, now: Date): Promise<void> {
  switch (a.kind) {
    case 'annotate':
      await core.patchNode({ name: a.node, body: { metadata: { annotations: a.set } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
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

const describeAction = (a: Action) =>
  a.kind === 'annotate'
    ? `${a.node}: ${Object.entries(a.set).map(([k, v]) => (v === null ? `${k}-` : `${k}=${v}`)).join(' ')}`
    : a.kind === 'condition'
      ? `${a.node}: condition ${a.type}=${a.status} (${a.reason})`
      : `${a.node}: ${a.type} event ${a.reason}: ${a.message}`;

export async function applyActions(kc: KubeConfig, actions: readonly Action[], log: Log, now = new Date()): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  const failed = new Set<string>();
  for (const a of actions) {
    if (failed.has(a.node)) continue;
    try {
      await send(core, a, now);
      log(describeAction(a));
    } catch (err) {
      failed.add(a.node);
      log(`failed, next pass retries: ${describeAction(a)}: ${describeError(err)}`);
    }
  }
}
