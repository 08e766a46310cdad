import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { stamp } from './rollout-record.js';

/** A node's NodePort of the workload, on the lab's bridge. */
export interface ProbeTarget {
  node: string;
  url: string;
}

export type ProbeResult = { node: string; pod: string } | { errors: string[] };

export interface ProbeOptions {
  intervalMs: number;
  /** Per node tried: a node that is down answers at once (refused, unreachable), a slow one is cut off. */
  timeoutMs: number;
  /** Notes a line in the rollout timeline. */
  write: (line: string) => void;
}

/** GET on a connection of its own, as a new client would: a kept-alive one would stick to one pod. */
function get(url: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`))).on('error', reject);
  });
}

/**
 * The workload as its clients see it, probed from the host as a load balancer in front of the
 * nodes would reach it: each probe tries the NodePort of one node after another, the one that
 * answered last first, and fails only when no node answers. A line in the timeline whenever
 * the node that answers changes, or none does.
 */
export class WorkloadProbe {
  probes = 0;
  /** When each failed probe started. */
  readonly failures: number[] = [];
  /** The node that answered the last probe, null when none did; undefined before the first. */
  #last: string | null | undefined;
  /** Failed probes since one last answered. */
  #failing = 0;
  #stopping = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(
    readonly targets: readonly ProbeTarget[],
    readonly opts: ProbeOptions,
  ) {}

  /** One probe: the node that answered and the pod that did, or every node's error. */
  async once(): Promise<ProbeResult> {
    const order = [...this.targets].sort((a, b) => Number(b.node === this.#last) - Number(a.node === this.#last));
    const errors: string[] = [];
    for (const t of order) {
      try {
        const r = await get(t.url, this.opts.timeoutMs);
        if (r.status === 200 && r.body) return { node: t.node, pod: r.body };
        errors.push(`${t.node}: HTTP ${r.status}`);
      } catch (err) {
        errors.push(`${t.node}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    return { errors };
  }

  /** Counts one probe, and notes it in the timeline when the node that answers changed. */
  async tick(): Promise<void> {
    const at = Date.now();
    const r = await this.once();
    this.probes++;
    const node = 'errors' in r ? null : r.node;
    if (node === null) {
      this.failures.push(at);
      this.#failing++;
    }
    if (node !== this.#last) {
      const after = this.#failing ? ` after ${this.#failing} failed probes` : '';
      this.opts.write(stamp(at, 'errors' in r ? `workload: no node answered (${r.errors.join('; ')})` : `workload: answered via ${r.node} (pod ${r.pod})${after}`));
    }
    this.#last = node;
    if (node !== null) this.#failing = 0;
  }

  start(): void {
    this.#loop ??= (async () => {
      while (!this.#stopping.signal.aborted) {
        await this.tick();
        await sleep(this.opts.intervalMs, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#loop;
  }
}
