import { AppsV1Api, CoreV1Api, type CoreV1Event, type KubeConfig, type V1ContainerStatus, type V1LabelSelector, type V1Pod } from '@kubernetes/client-node';
import { LabError } from '../errors.js';
import { pending, waitFor, WaitTimeoutError } from '../toolkit/wait-for.js';
import { API_WAIT, type Log } from './client.js';
import { describePod, podName } from './pods.js';

/**
 * Waits until workloads are available, and when they are not, says why: each one's pods, their
 * containers' states and the Events about them, as `kubectl describe` would show them.
 */

export interface WorkloadRef {
  kind: 'Deployment' | 'DaemonSet';
  namespace: string;
  name: string;
}

interface WorkloadState {
  ref: WorkloadRef;
  available: boolean;
  /** `Deployment ns/name: 0/1 available`. */
  line: string;
  selector?: V1LabelSelector;
}

const refName = (r: WorkloadRef) => `${r.kind} ${r.namespace}/${r.name}`;

/** A Deployment with every replica available and updated; a DaemonSet with an available pod on each of `nodes` nodes. */
async function readState(kc: KubeConfig, ref: WorkloadRef, nodes: number): Promise<WorkloadState> {
  const apps = kc.makeApiClient(AppsV1Api);
  if (ref.kind === 'Deployment') {
    const d = await apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace });
    const want = d.spec?.replicas ?? 1;
    const available = d.status?.availableReplicas ?? 0;
    const current = (d.status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && (d.status?.updatedReplicas ?? 0) >= want;
    return { ref, available: current && available >= want, line: `${refName(ref)}: ${available}/${want} available`, selector: d.spec?.selector };
  }
  const ds = await apps.readNamespacedDaemonSet({ name: ref.name, namespace: ref.namespace });
  const s = ds.status;
  const available = s?.numberAvailable ?? 0;
  const ready = s?.desiredNumberScheduled === nodes && available === nodes && (s?.updatedNumberScheduled ?? 0) === nodes;
  return { ref, available: ready, line: `${refName(ref)}: ${available}/${nodes} nodes with an available pod (${s?.desiredNumberScheduled ?? 0} scheduled)`, selector: ds.spec?.selector };
}

const labelSelector = (s?: V1LabelSelector) => Object.entries(s?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');

function containerState(c: V1ContainerStatus): string {
  const { waiting, terminated, running } = c.state ?? {};
  const last = c.lastState?.terminated;
  const now = waiting
    ? `waiting: ${waiting.reason ?? '?'}${waiting.message ? ` (${waiting.message})` : ''}`
    : terminated
      ? `terminated: ${terminated.reason ?? '?'}, exit ${terminated.exitCode}`
      : running
        ? `running${c.ready ? ', ready' : ', not ready'}`
        : 'no state';
  const before = last ? `; last exit ${last.exitCode} (${last.reason ?? '?'})` : '';
  return `${c.name} ${now}${c.restartCount ? `, ${c.restartCount} restarts` : ''}${before}`;
}

/** `name Phase@node [container waiting: ErrImageNeverPull (...)]`. */
function podLine(p: V1Pod): string {
  const containers = p.status?.containerStatuses ?? [];
  const unscheduled = p.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  const extra = containers.length ? containers.map(containerState).join(', ') : unscheduled ? `unscheduled: ${unscheduled.message ?? unscheduled.reason}` : '';
  return `${describePod(p)}${extra ? ` [${extra}]` : ''}`;
}

const eventLine = (e: CoreV1Event) => `${e.involvedObject.kind} ${e.involvedObject.name}: ${e.type} ${e.reason}: ${(e.message ?? '').trim()}${(e.count ?? 1) > 1 ? ` (x${e.count})` : ''}`;

async function podsOf(kc: KubeConfig, s: WorkloadState): Promise<V1Pod[]> {
  const selector = labelSelector(s.selector);
  return selector ? (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: s.ref.namespace, labelSelector: selector })).items : [];
}

/** Why a workload is not available: its pods and the last Events about it, its ReplicaSets and its pods. */
async function explain(kc: KubeConfig, s: WorkloadState): Promise<string> {
  const pods = await podsOf(kc, s);
  const names = new Set(pods.map(podName));
  const events = (await kc.makeApiClient(CoreV1Api).listNamespacedEvent({ namespace: s.ref.namespace })).items
    // The workload itself, a Deployment's ReplicaSets (its name and a hash), and its pods.
    .filter((e) => e.involvedObject.name === s.ref.name || e.involvedObject.name?.startsWith(`${s.ref.name}-`) || names.has(e.involvedObject.name ?? ''))
    .sort((a, b) => new Date(a.lastTimestamp ?? 0).getTime() - new Date(b.lastTimestamp ?? 0).getTime())
    .slice(-8);
  return `${s.line}; pods: ${pods.length ? pods.map(podLine).join(', ') : 'none'}; events: ${events.length ? events.map(eventLine).join(' | ') : 'none'}`;
}

/** A pod that waiting cannot start: an image the node does not have, with no registry to pull it from. */
const hopeless = (p: V1Pod) => p.status?.containerStatuses?.some((c) => c.state?.waiting?.reason === 'ErrImageNeverPull');

export interface AvailableOptions {
  /** How many nodes a DaemonSet runs on: one available pod each. */
  nodes: number;
  deadline: number;
  intervalMs?: number;
  /** Each change of what the wait sees. */
  log?: Log;
  signal?: AbortSignal;
  fix: string;
}

/**
 * Until every workload is available, sharing `deadline`; returns one line each. A failure names
 * each workload not available with its pods' states and Events; a pod whose image the node lacks
 * fails the wait at once, since nothing would ever pull it.
 */
export async function workloadsAvailable(kc: KubeConfig, refs: readonly WorkloadRef[], o: AvailableOptions): Promise<string[]> {
  let states: WorkloadState[] = [];
  const notYet = () => states.filter((s) => !s.available);
  const failure = async (problem: string) =>
    new LabError(`${problem}: ${(await Promise.all(notYet().map((s) => explain(kc, s).catch(() => s.line)))).join('; and ')}`, o.fix);
  try {
    return await waitFor(
      refs.map(refName).join(', ') + ' available',
      async () => {
        states = await Promise.all(refs.map((r) => readState(kc, r, o.nodes)));
        if (notYet().length === 0) return states.map((s) => s.line);
        for (const s of notYet()) {
          const stuck = (await podsOf(kc, s)).find(hopeless);
          if (stuck) throw await failure(`${podName(stuck)} of ${refName(s.ref)} can never start: its node has no such image`);
        }
        return pending(notYet().map((s) => s.line).join('; '));
      },
      {
        ...API_WAIT,
        deadline: o.deadline,
        intervalMs: o.intervalMs ?? 5000,
        signal: o.signal,
        fatal: (err) => err instanceof LabError,
        onRetry: (r) => r.changed && o.log?.(r.state),
      },
    );
  } catch (err) {
    if (!(err instanceof WaitTimeoutError) || states.length === 0) throw err;
    throw await failure(`not available after ${Math.round(err.waitedMs / 1000)}s`);
  }
}
