#!/usr/bin/env node
import { KubeConfig } from '@kubernetes/client-node';
import { Command, InvalidArgumentError } from 'commander';
import { LabError } from '../errors.js';
import { loadKubeconfig } from '../kube/client.js';
import { NAMESPACE } from '../render/update-operator/rbac.js';
import { durationNs } from '../spec/reboot-window.js';
import { runGuard } from './run.js';

/**
 * metal-lab's rollout guard: steers FLUO's update-operator, started with OPERATOR_HOOK_FLAGS
 * (keys.ts), through its own hooks and reboot-paused. One process; all it knows is on the nodes.
 */

function duration(text: string): number {
  const ns = durationNs(text);
  if (!ns) throw new InvalidArgumentError('not a positive Go duration, e.g. 15m, 90s or 1h30m');
  return ns / 1e6;
}

const program = new Command('rollout-guard')
  .description("Drains each node before FLUO reboots it, holds reboots that would break a PodDisruptionBudget or a second reboot, flags reboots not back in time, pauses the rollout on a failed update")
  .option('--kubeconfig <file>', 'a kubeconfig file; without it, the pod\'s service account (in-cluster)')
  .option('--overdue <duration>', 'how long a node allowed to reboot may take to come back before it is flagged', duration, 15 * 60_000)
  .option('--namespace <ns>', "the namespace the guard and the operator run in: their pods never hold the node they are on", NAMESPACE)
  .option('--interval <duration>', 'the pause between passes', duration, 5000)
  .option('--pass-limit <duration>', 'a pass still running after this is stuck on an API server that went away: the guard exits, and its restart starts over', duration, 120_000)
  .showHelpAfterError();

const opts = program.parse(process.argv).opts<{ kubeconfig?: string; overdue: number; namespace: string; interval: number; passLimit: number }>();

let kc: KubeConfig;
try {
  kc = opts.kubeconfig ? loadKubeconfig(opts.kubeconfig) : new KubeConfig();
  if (!opts.kubeconfig) kc.loadFromCluster();
} catch (err) {
  console.error(`rollout-guard: ${err instanceof LabError ? err.line() : String(err)}`);
  process.exit(2);
}

const stop = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => stop.abort());
console.log(`rollout-guard: passes every ${opts.interval / 1000}s, overdue after ${opts.overdue / 1000}s, ${opts.namespace} and kube-system exempt`);
await runGuard(kc, {
  overdueMs: opts.overdue,
  exempt: new Set(['kube-system', opts.namespace]),
  intervalMs: opts.interval,
  log: (line) => console.log(`${new Date().toISOString()} ${line}`),
  signal: stop.signal,
  passLimitMs: opts.passLimit,
  // The kubelet restarts the container (and a guard run by hand is started again by whoever ran it).
  onStuck: () => process.exit(1),
});
