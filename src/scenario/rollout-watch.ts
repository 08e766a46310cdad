import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, CustomObjectsApi, PolicyApi, Watch, type KubeConfig, type V1Node, type V1PodDisruptionBudget } from '@kubernetes/client-node';
import { describeError } from '../kube/client.js';
import { pending, waitFor } from '../toolkit/wait-for.js';
import { budgetName, budgetView, nodeView, RolloutRecord, stamp, type Kind, type View } from './rollout-record.js';

/**
 * The rollout watch: from the host, through the Kubernetes API, it follows every Node and
 * PodDisruptionBudget for the rest of the scenario and notes each change of what the record
 * keeps, one line each, as it happens. Each follow is a list, then a watch
 * from the list's version; whenever a watch ends (the server ends each after a minute, or the
 * API goes away while the controller reboots) it lists again, so what changed meanwhile is
 * noted when the API answers again, as one instant.
 */

export interface RolloutWatch {
  record: RolloutRecord;
  stop(): Promise<void>;
}

/** A kind of object the watch follows: how to list it, where its watch is, what of it the record keeps. */
interface Source<T> {
  kind: Kind;
  path: string;
  list(): Promise<{ items: T[]; resourceVersion?: string }>;
  name(o: T): string;
  view(o: T): View;
}

const RETRY_MS = 2000;
/** The server ends each watch after this, and the follow lists again. */
const WATCH_S = 60;
/** A watch whose connection died without a word ends here. */
const WATCH_LIMIT_MS = (WATCH_S + 30) * 1000;
/**
 * A list the API took and never answered (the controller rebooted under its connection, which
 * then neither answers nor resets) fails after this and is sent again: client-node has no timeout.
 */
const LIST_LIMIT_MS = 30_000;

/** `src.list()`, failing after LIST_LIMIT_MS, or when `stopped` rejects. */
async function listWithin<T>(src: Source<T>, stopped: Promise<never>): Promise<Awaited<ReturnType<Source<T>['list']>>> {
  const timer = new AbortController();
  const late = sleep(LIST_LIMIT_MS, undefined, { signal: timer.signal }).then((): never => {
    throw new Error(`no answer to the list of ${src.kind}s in ${LIST_LIMIT_MS / 1000}s`);
  });
  late.catch(() => undefined);
  try {
    return await Promise.race([src.list(), stopped, late]);
  } finally {
    timer.abort();
  }
}

const nodes = (kc: KubeConfig): Source<V1Node> => ({
  kind: 'node',
  path: '/api/v1/nodes',
  list: async () => {
    const list = await kc.makeApiClient(CoreV1Api).listNode();
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion };
  },
  name: (n) => n.metadata?.name ?? '',
  view: nodeView,
});

/** `policy/<version>` of PodDisruptionBudgets the cluster prefers: the lab's Kubernetes 1.20 serves v1beta1 only. */
export async function budgetApiVersion(kc: KubeConfig): Promise<string> {
  return `policy/${(await kc.makeApiClient(PolicyApi).getAPIGroup()).preferredVersion?.version ?? 'v1'}`;
}

async function budgets(kc: KubeConfig): Promise<Source<V1PodDisruptionBudget>> {
  const version = (await budgetApiVersion(kc)).split('/')[1]!;
  return {
    kind: 'pdb',
    path: `/apis/policy/${version}/poddisruptionbudgets`,
    list: async () => {
      const list = (await kc.makeApiClient(CustomObjectsApi).listClusterCustomObject({ group: 'policy', version, plural: 'poddisruptionbudgets' })) as {
        items: V1PodDisruptionBudget[];
        metadata?: { resourceVersion?: string };
      };
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion };
    },
    name: budgetName,
    view: budgetView,
  };
}

/** One watch from `resourceVersion`: resolves when it ends, rejects on an error. */
function watchOnce<T>(kc: KubeConfig, src: Source<T>, resourceVersion: string | undefined, onEvent: (type: string, o: T) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let controller: AbortController | undefined;
    let ended = false;
    const end = (err?: unknown) => {
      if (ended) return;
      ended = true;
      clearTimeout(limit);
      signal.removeEventListener('abort', onAbort);
      controller?.abort();
      if (err && !signal.aborted) reject(err instanceof Error ? err : new Error(String(err)));
      else resolve();
    };
    const onAbort = () => end();
    const limit = setTimeout(() => end(), WATCH_LIMIT_MS);
    signal.addEventListener('abort', onAbort);
    const query = { resourceVersion, timeoutSeconds: WATCH_S, allowWatchBookmarks: true };
    new Watch(kc)
      .watch(src.path, query, (type, o: T & { message?: string }) => {
        // ERROR carries a Status, e.g. 410 Gone when the version is too old: list again.
        if (type === 'ERROR') end(new Error(`watch error: ${o.message ?? JSON.stringify(o)}`));
        else if (type !== 'BOOKMARK' && !ended) onEvent(type, o);
      }, (err) => end(err))
      .then((c) => {
        controller = c;
        if (ended) c.abort();
      }, end);
  });
}

/** Lists and watches `src` until `signal` aborts; the first list calls `listed`. */
async function follow<T>(kc: KubeConfig, src: Source<T>, record: RolloutRecord, write: (line: string) => void, listed: (err?: unknown) => void, signal: AbortSignal): Promise<void> {
  let lostAt: number | undefined;
  // A list the API never answers (its node hangs) must not hold up the end of the run.
  const stopped = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  stopped.catch(() => undefined);
  const see = (looks: Map<string, View | undefined>, complete: boolean) => record.see(Date.now(), src.kind, looks, complete).forEach(write);
  while (!signal.aborted) {
    try {
      const { items, resourceVersion } = await listWithin(src, stopped);
      if (lostAt !== undefined) write(stamp(Date.now(), `api: ${src.kind}s listed again after ${Math.round((Date.now() - lostAt) / 1000)}s`));
      lostAt = undefined;
      see(new Map(items.map((o) => [src.name(o), src.view(o)])), true);
      listed();
      await watchOnce(kc, src, resourceVersion, (type, o) => see(new Map([[src.name(o), type === 'DELETED' ? undefined : src.view(o)]]), false), signal);
    } catch (err) {
      if (signal.aborted) break;
      listed(err);
      if (lostAt === undefined) {
        lostAt = Date.now();
        write(stamp(lostAt, `api: following ${src.kind}s failed (${describeError(err)}); listing again every ${RETRY_MS / 1000}s`));
      }
      await sleep(RETRY_MS, undefined, { signal }).catch(() => undefined);
    }
  }
}

/**
 * Starts following nodes and budgets, each change a line to `write`; resolves once both were
 * listed, or throws at `deadline` with why they were not.
 */
export async function startRolloutWatch(kc: KubeConfig, write: (line: string) => void, deadline: number, signal?: AbortSignal): Promise<RolloutWatch> {
  const record = new RolloutRecord();
  const stopping = new AbortController();
  const sources = [nodes(kc), await budgets(kc)];
  const state = new Map<Kind, string>(sources.map((s) => [s.kind, 'not listed yet']));
  const follows = sources.map((src) =>
    follow(kc, src as Source<unknown>, record, write, (err) => state.set(src.kind, err ? describeError(err) : 'listed'), stopping.signal),
  );
  const stop = async () => {
    stopping.abort();
    await Promise.all(follows);
  };
  await waitFor(
    'the rollout watch to list the nodes and PodDisruptionBudgets',
    async () => ([...state.values()].every((s) => s === 'listed') ? true : pending([...state].map(([k, s]) => `${k}s: ${s}`).join('; '))),
    { deadline, intervalMs: 200, signal },
  ).catch(async (err: unknown) => {
    await stop();
    throw err;
  });
  return { record, stop };
}
