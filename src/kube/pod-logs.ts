import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { CoreV1Api, Log, type KubeConfig, type LogOptions } from '@kubernetes/client-node';

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

const POLL_MS = 10_000;
/** One request's limit: a node that hangs must not hold up the others or the end of the run. */
const REQUEST_MS = 15_000;
/** Node clocks under TCG run a little apart from the host's: ask from a bit earlier, drop repeats. */
const SLACK_S = 30;

/** A container's copy: where it goes and the newest line it has, by the node's timestamp. */
interface Copied {
  file: string;
  restarts: number;
  /** RFC3339Nano of the newest line copied; lines with it are in `atLast`. */
  last?: string;
  atLast: Set<string>;
  lastPollMs?: number;
}

/** `p`, or a rejection once a request's limit passed. */
async function bounded<T>(p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${REQUEST_MS} ms`)), REQUEST_MS);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the log endpoint answers to `options` within a request's limit (so far, when it runs late). */
async function readLog(kc: KubeConfig, ns: string, pod: string, container: string, options: LogOptions): Promise<string> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      cb();
    },
  });
  const finished = new Promise<void>((resolve) => sink.on('finish', resolve));
  let over = false;
  let controller: AbortController | undefined;
  try {
    await bounded(
      (async () => {
        controller = await new Log(kc).log(ns, pod, container, sink, options);
        if (over) controller.abort();
        await finished;
      })(),
    );
  } catch (err) {
    if (chunks.length === 0) throw err;
  } finally {
    over = true;
    controller?.abort();
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Appends the lines of `text` the copy does not have yet; each starts with its RFC3339Nano stamp.
 * A last line without its newline (an answer cut at the limit) waits for the next poll.
 */
function append(copy: Copied, text: string): void {
  const fresh: string[] = [];
  const lines = text.split('\n');
  lines.pop();
  for (const line of lines) {
    const stamp = line.slice(0, line.indexOf(' '));
    if (!line || (copy.last && stamp < copy.last) || (stamp === copy.last && copy.atLast.has(line))) continue;
    if (stamp !== copy.last) copy.atLast.clear();
    copy.last = stamp;
    copy.atLast.add(line);
    fresh.push(line);
  }
  if (fresh.length) appendFileSync(copy.file, `${fresh.join('\n')}\n`);
}

async function poll(kc: KubeConfig, ns: string, dir: string, copies: Map<string, Copied>): Promise<void> {
  const pods = (await bounded(kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns }))).items;
  // Settled, not all: one node's kubelet away must not end the others' copies early.
  await Promise.allSettled(
    pods.flatMap((pod) =>
      (pod.status?.containerStatuses ?? []).map(async (status) => {
        const name = pod.metadata?.name ?? '';
        const key = `${ns}/${name}/${status.name}`;
        let copy = copies.get(key);
        if (!copy) {
          mkdirSync(path.join(dir, ns, name), { recursive: true });
          copy = { file: path.join(dir, ns, name, `${status.name}.log`), restarts: status.restartCount, atLast: new Set() };
          copies.set(key, copy);
        }
        const since = copy.lastPollMs === undefined ? {} : { sinceSeconds: Math.ceil((Date.now() - copy.lastPollMs) / 1000) + SLACK_S };
        const started = Date.now();
        if (status.restartCount > copy.restarts) {
          // The instance that ended since the last poll: its last words are why it ended.
          append(copy, await readLog(kc, ns, name, status.name, { timestamps: true, previous: true, ...since }).catch(() => ''));
          copy.restarts = status.restartCount;
        }
        append(copy, await readLog(kc, ns, name, status.name, { timestamps: true, ...since }));
        copy.lastPollMs = started;
      }),
    ),
  );
}

/** Starts copying every container log of `namespaces` into `dir/<namespace>/<pod>/<container>.log`. */
export function copyPodLogs(kc: KubeConfig, namespaces: readonly string[], dir: string, pollMs = POLL_MS): PodLogCopy {
  const copies = new Map<string, Copied>();
  const stopping = new AbortController();
  // A poll that fails (the API is away while its node reboots) is simply tried again.
  const pollAll = () => Promise.all(namespaces.map((ns) => poll(kc, ns, dir, copies).catch(() => undefined)));
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      await pollAll();
      await sleep(pollMs, undefined, { signal: stopping.signal }).catch(() => undefined);
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
