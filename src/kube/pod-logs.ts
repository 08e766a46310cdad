import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig, V1PodList } from '@kubernetes/client-node';
import { apiGet } from './client.js';

/**
 * Copies the logs of every container in some namespaces into files, for the whole of a run, by
 * polling rather than following: a followed stream dies silently when the API's node reboots,
 * and a node's own copy is gone once the kubelet collects a crash-looping container. Each poll
 * asks for what came since the last line it has (with timestamps, to drop what it already has),
 * and, when a container restarted, first for the previous instance's end.
 */

export interface PodLogCopy {
  stop(): Promise<void>;
}

export interface CopyTiming {
  pollMs: number;
  /** One request's limit: a node that hangs must not hold up the others or the end of the run. */
  requestMs: number;
}

const TIMING: CopyTiming = { pollMs: 10_000, requestMs: 15_000 };
/** Node clocks under TCG run a little apart from the host's: ask from a bit earlier, drop repeats. */
const SLACK_S = 30;
/** How many of the newest lines a copy remembers, to know an ended instance's lines it already has. */
const RECENT_LINES = 5000;

/** A container's copy: where it goes and the newest line it has, by the node's timestamp. */
interface Copied {
  file: string;
  restarts: number;
  /** RFC3339Nano of the newest line copied; lines with it are in `atLast`. */
  last?: string;
  atLast: Set<string>;
  /** The newest lines copied, oldest first (a Set keeps insertion order). */
  recent: Set<string>;
  lastPollMs?: number;
}

/** The body of a GET that answered 200; anything else throws, and the next poll tries again. */
async function read(kc: KubeConfig, path: string, requestMs: number): Promise<string> {
  const { status, body } = await apiGet(kc, path, requestMs);
  if (status !== 200) throw new Error(`GET ${path}: HTTP ${status}: ${body.slice(0, 200)}`);
  return body;
}

/**
 * Appends the lines of `text` the copy does not have yet; each starts with its RFC3339Nano stamp.
 * A running instance's lines come in stamp order, so anything older than the newest copied is a
 * repeat. An ended instance's lines (`ended`) may be older than lines its successor already gave,
 * when the container restarted between a poll's pod list and its log request: there only the
 * lines the copy remembers are repeats, and the rest are its last words.
 */
function append(copy: Copied, text: string, ended = false): void {
  const fresh: string[] = [];
  const lines = text.split('\n');
  lines.pop();
  for (const line of lines) {
    const stamp = line.slice(0, line.indexOf(' '));
    if (!line) continue;
    if (ended ? copy.recent.has(line) : (copy.last && stamp < copy.last) || (stamp === copy.last && copy.atLast.has(line))) continue;
    if (!copy.last || stamp > copy.last) {
      copy.atLast.clear();
      copy.last = stamp;
    }
    if (stamp === copy.last) copy.atLast.add(line);
    remember(copy.recent, line);
    fresh.push(line);
  }
  if (fresh.length) appendFileSync(copy.file, `${fresh.join('\n')}\n`);
}

function remember(recent: Set<string>, line: string): void {
  recent.add(line);
  if (recent.size > RECENT_LINES) recent.delete(recent.values().next().value!);
}

async function poll(kc: KubeConfig, ns: string, dir: string, copies: Map<string, Copied>, requestMs: number): Promise<void> {
  const pods = (JSON.parse(await read(kc, `/api/v1/namespaces/${ns}/pods`, requestMs)) as V1PodList).items;
  // Settled, not all: one node's kubelet away must not end the others' copies early.
  await Promise.allSettled(
    pods.flatMap((pod) =>
      (pod.status?.containerStatuses ?? []).map(async (status) => {
        const name = pod.metadata?.name ?? '';
        const key = `${ns}/${name}/${status.name}`;
        let copy = copies.get(key);
        if (!copy) {
          mkdirSync(path.join(dir, ns, name), { recursive: true });
          copy = { file: path.join(dir, ns, name, `${status.name}.log`), restarts: status.restartCount, atLast: new Set(), recent: new Set() };
          copies.set(key, copy);
        }
        const since: Record<string, string> = copy.lastPollMs === undefined ? {} : { sinceSeconds: String(Math.ceil((Date.now() - copy.lastPollMs) / 1000) + SLACK_S) };
        const started = Date.now();
        const log = (previous: boolean) => {
          const query = new URLSearchParams({ container: status.name, timestamps: 'true', previous: String(previous), ...since });
          return read(kc, `/api/v1/namespaces/${ns}/pods/${name}/log?${query}`, requestMs);
        };
        if (status.restartCount > copy.restarts) {
          // The instance that ended since the last poll: its last words are why it ended.
          append(copy, await log(true).catch(() => ''), true);
          copy.restarts = status.restartCount;
        }
        append(copy, await log(false));
        copy.lastPollMs = started;
      }),
    ),
  );
}

/** Starts copying every container log of `namespaces` into `dir/<namespace>/<pod>/<container>.log`. */
export function copyPodLogs(kc: KubeConfig, namespaces: readonly string[], dir: string, timing: CopyTiming = TIMING): PodLogCopy {
  const copies = new Map<string, Copied>();
  const stopping = new AbortController();
  // A poll that fails (the API is away while its node reboots) is simply tried again.
  const pollAll = () => Promise.all(namespaces.map((ns) => poll(kc, ns, dir, copies, timing.requestMs).catch(() => undefined)));
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      await pollAll();
      await sleep(timing.pollMs, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
    // The last seconds too, as far as the API answers within a request's limit.
    await pollAll();
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
