import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import { FLUO_KEYS as K } from '../../src/guard/keys.js';
import { pending, waitFor } from '../../src/toolkit/wait-for.js';

/**
 * Nodes as FLUO's tests see them: each one's labels and annotations, the agent's reports (the
 * test plays every update-agent: update-operator.md §1.2-1.3), and waits that check an invariant
 * at every look.
 */

export type Nodes = Map<string, V1Node>;

export async function readNodes(kc: KubeConfig): Promise<Nodes> {
  return new Map((await kc.makeApiClient(CoreV1Api).listNode()).items.map((n) => [n.metadata!.name!, n]));
}

export function nodeMeta(ns: Nodes, name: string): { labels: Record<string, string>; annotations: Record<string, string> } {
  const n = ns.get(name);
  if (!n) throw new Error(`no node ${name}`);
  return { labels: n.metadata?.labels ?? {}, annotations: n.metadata?.annotations ?? {} };
}

/** spec.unschedulable: cordoned, by whomever. */
export const cordoned = (ns: Nodes, name: string) => ns.get(name)?.spec?.unschedulable === true;

/** Every node's annotations and labels and its cordon, one line each: what a failed wait shows. */
export function describeNodes(ns: Nodes): string {
  const short = (k: string) => k.replace(/^.*\//, '');
  return [...ns.keys()]
    .map((name) => {
      const { labels, annotations } = nodeMeta(ns, name);
      const keys = [...Object.entries(annotations).map(([k, v]) => `${short(k)}=${v}`), ...Object.entries(labels).map(([k, v]) => `label:${short(k)}=${v}`)];
      return `${name}: ${cordoned(ns, name) ? 'cordoned ' : ''}${keys.sort().join(' ')}`;
    })
    .join('\n');
}

export interface NodeChange {
  labels?: Record<string, string | null>;
  annotations?: Record<string, string | null>;
}

export async function patchNode(kc: KubeConfig, name: string, change: NodeChange): Promise<void> {
  await kc.makeApiClient(CoreV1Api).patchNode({ name, body: { metadata: change } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

/** The agent once update_engine says NEED_REBOOT (§1.2): the annotation and the label. */
export const needsReboot = { labels: { [K.rebootNeeded]: 'true' }, annotations: { [K.rebootNeeded]: 'true', [K.rebootInProgress]: 'false', [K.status]: 'UPDATE_STATUS_UPDATED_NEED_REBOOT' } };
/** The agent given reboot-ok: it cordons, drains and reboots (§1.3 steps 5-7). */
export const rebootStarted = { annotations: { [K.rebootInProgress]: 'true' } };
/** The agent started again after the reboot (§1.3 steps 1 and 8). */
export const backUp = { labels: { [K.rebootNeeded]: 'false' }, annotations: { [K.rebootNeeded]: 'false', [K.rebootInProgress]: 'false', [K.status]: 'UPDATE_STATUS_IDLE' } };

export interface NodeWait {
  /** What must hold at every look: a message when it does not, which ends the wait at once. */
  invariant: (ns: Nodes) => string | undefined;
  /** What the nodes are doing while not done, for the timeout message. */
  state: (ns: Nodes) => string;
  timeoutMs: number;
  evidence: () => string[];
}

class Broken extends Error {}

/** Waits until the nodes satisfy `done`, checking the invariant at every look. */
export async function waitNodes(kc: KubeConfig, what: string, done: (ns: Nodes) => boolean, w: NodeWait): Promise<Nodes> {
  let last: Nodes = new Map();
  return waitFor(
    what,
    async () => {
      last = await readNodes(kc);
      const broken = w.invariant(last);
      if (broken) throw new Broken(`${broken}\n${describeNodes(last)}`);
      return done(last) ? last : pending(w.state(last));
    },
    { deadline: Date.now() + w.timeoutMs, intervalMs: 500, fatal: (e) => e instanceof Broken, evidence: () => [describeNodes(last), ...w.evidence()] },
  );
}
