import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { describeError, type Log } from '../kube/client.js';
import { applyActions } from './apply.js';
import { decide, type GuardPolicy } from './decide.js';
import { readState } from './read-state.js';

export interface GuardRun extends GuardPolicy {
  /** The pause between passes: the operator's own loop runs every 30 s. */
  intervalMs: number;
  log: Log;
  signal?: AbortSignal;
}

/** One pass: read the cluster, decide, act. */
async function guardPass(kc: KubeConfig, policy: GuardPolicy, log: Log): Promise<void> {
  const now = new Date();
  await applyActions(kc, decide(await readState(kc), policy, now), log, now);
}

/** Passes until the signal aborts. A failed pass is logged and the next one starts over from the cluster. */
export async function runGuard(kc: KubeConfig, run: GuardRun): Promise<void> {
  while (!run.signal?.aborted) {
    await guardPass(kc, run, run.log).catch((err: unknown) => run.log(`pass failed: ${describeError(err)}`));
    await sleep(run.intervalMs, undefined, { signal: run.signal }).catch(() => undefined);
  }
}
