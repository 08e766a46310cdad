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
  /**
   * A pass still running after this waits on a request to an API server that went away with its
   * node (a rebooting controller): the connection is dead, and the request would wait forever.
   * None can be aborted from here, so `onStuck` is called: the process exits, and its restart
   * starts over from the nodes, where all the guard knows lives.
   */
  passLimitMs?: number;
  onStuck?: () => void;
}

/** One pass: read the cluster, decide, act. */
async function guardPass(kc: KubeConfig, policy: GuardPolicy, log: Log): Promise<void> {
  const now = new Date();
  await applyActions(kc, decide(await readState(kc), policy, now), log, now);
}

/** Passes until the signal aborts. A failed pass is logged and the next one starts over from the cluster. */
export async function runGuard(kc: KubeConfig, run: GuardRun): Promise<void> {
  while (!run.signal?.aborted) {
    const { onStuck, passLimitMs } = run;
    const watchdog = onStuck && passLimitMs
      ? setTimeout(() => {
          run.log(`a pass has run for ${passLimitMs / 1000}s: a request waits on an API server that went away; starting over`);
          onStuck();
        }, passLimitMs)
      : undefined;
    try {
      await guardPass(kc, run, run.log).catch((err: unknown) => run.log(`pass failed: ${describeError(err)}`));
    } finally {
      clearTimeout(watchdog);
    }
    await sleep(run.intervalMs, undefined, { signal: run.signal }).catch(() => undefined);
  }
}
