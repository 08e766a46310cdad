import { setTimeout as sleep } from 'node:timers/promises';
import type { NodeSpec } from '../ground/lab-spec.js';
import { labModel } from '../ground/lab-model.js';
import { labNow } from '../toolkit/lab-clock.js';
import { pending, waitFor } from '../toolkit/wait-for.js';
import { etcdFromHost } from './etcd-from-host.js';
import type { LabAccess } from './on-node.js';
import type { ScenarioContext } from './context.js';

/** Where the writer's keys live: one prefix, so a member's whole share reads back in one range. */
export const WRITES_PREFIX = '/metal-lab/writes/';
const PERIOD_MS = 500;

const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString();

/** The key that ends a prefix's range in etcd: the prefix with its last byte incremented. */
export function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** Keys and values of a v3 gateway range answer (`kvs` is absent when nothing matched). */
export function rangeKeys(answer: { kvs?: Array<{ key: string; value?: string }> }): Map<string, string> {
  return new Map((answer.kvs ?? []).map((kv) => [unb64(kv.key), unb64(kv.value ?? '')]));
}

/** What the writer saw between two checks. */
interface Stretch {
  acked: number;
  refused: number;
  longestGapMs: number;
}

/**
 * What a fault costs etcd's clients: from the host, a numbered key every half second through the
 * first controller that takes it, so a write lands whenever any quorum can commit it. An
 * acknowledged write is one etcd promised to keep: each `kept` reads every one so far back from
 * every member, and tells what the writer saw since the last.
 */
export class EtcdWriter {
  readonly acked = new Map<string, string>();
  #since: Stretch = { acked: 0, refused: 0, longestGapMs: 0 };
  #lastAck = labNow();
  #stopped = false;
  #loop?: Promise<void>;
  #next = 0;

  constructor(private readonly at: LabAccess) {}

  start(): void {
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
  }

  async #run(): Promise<void> {
    const controllers = labModel(this.at.lab).controllers;
    for (let n = 1; !this.#stopped; n++) {
      const key = `${WRITES_PREFIX}${String(n).padStart(6, '0')}`;
      if (await this.#put(controllers, key, `write-${n}`)) {
        this.acked.set(key, `write-${n}`);
        this.#since.acked++;
        this.#gap();
        this.#lastAck = labNow();
      } else this.#since.refused++;
      await sleep(PERIOD_MS);
    }
  }

  #gap(): void {
    this.#since.longestGapMs = Math.max(this.#since.longestGapMs, labNow() - this.#lastAck);
  }

  /** Tries each controller once, starting with the last that took one; whether one took it. */
  async #put(controllers: NodeSpec[], key: string, value: string): Promise<boolean> {
    for (let i = 0; i < controllers.length; i++) {
      const at = (this.#next + i) % controllers.length;
      const ok = await etcdFromHost(this.at, controllers[at]!, '/v3/kv/put', { key: b64(key), value: b64(value) }, 2_000).then(() => true, () => false);
      if (ok) {
        this.#next = at;
        return true;
      }
    }
    return false;
  }

  /** The acknowledged writes a member's own store lacks or holds with another value. */
  async #missingOn(node: NodeSpec, acked: ReadonlyMap<string, string>): Promise<string[]> {
    // serializable: the member answers from its own store, not through the leader.
    const answer = await etcdFromHost(this.at, node, '/v3/kv/range', { key: b64(WRITES_PREFIX), range_end: b64(prefixEnd(WRITES_PREFIX)), serializable: true }, 10_000);
    const held = rangeKeys(answer as Parameters<typeof rangeKeys>[0]);
    return [...acked].filter(([k, v]) => held.get(k) !== v).map(([k]) => k);
  }

  /**
   * Waits until every controller holds every write acknowledged so far (a member that was cut
   * off catches up from the leader): the report line, or a throw naming what is missing where.
   */
  async kept(deadline: number): Promise<string> {
    this.#gap();
    const since = this.#since;
    this.#since = { acked: 0, refused: 0, longestGapMs: 0 };
    const acked = new Map(this.acked);
    const controllers = labModel(this.at.lab).controllers;
    const t0 = labNow();
    await waitFor(`every controller to hold all ${acked.size} acknowledged writes`, async () => {
      const missing = await Promise.all(controllers.map(async (n) => [n.name, await this.#missingOn(n, acked)] as const));
      const short = missing.filter(([, keys]) => keys.length > 0);
      if (short.length === 0) return true;
      return pending(short.map(([n, keys]) => `${n} lacks ${keys.length} (${keys.slice(0, 3).join(', ')}${keys.length > 3 ? ', ...' : ''})`).join('; '));
    }, { deadline, intervalMs: 2_000, describeError: (err) => (err as Error).message, fix: "read the etcd journals of the controllers that lack writes: writes etcd acknowledged were lost" });
    const s = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
    return `since the last check ${since.acked} writes acknowledged, ${since.refused} refused, longest time without one ${s(since.longestGapMs)}; all ${acked.size} so far held by ${controllers.map((n) => n.name).join(', ')} (after ${s(labNow() - t0)})`;
  }
}

/** `watch: etcd-writes`: the writer started, kept on the context for the checks and the run's end. */
export function startEtcdWriter(ctx: ScenarioContext): string {
  ctx.etcdWriter = new EtcdWriter(ctx);
  ctx.etcdWriter.start();
  return `a key every ${PERIOD_MS / 1000}s from the host, through the first of ${labModel(ctx.lab).controllers.map((n) => n.name).join(', ')} that takes it`;
}
