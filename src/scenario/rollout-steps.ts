import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { RolloutCheckName, ScenarioStep } from '../spec/scenario.js';
import { readKubeAssets } from '../lab/kube-assets.js';
import { LabError } from '../errors.js';
import { copyPodLogs, type PodLogCopy } from '../kube/pod-logs.js';
import { NAMESPACE as UPDATE_NAMESPACE } from '../render/update-operator/rbac.js';
import { pending, waitFor } from '../toolkit/wait-for.js';
import { stepDeadline, type ScenarioContext } from './context.js';
import { EvidenceError } from './evidence.js';
import { onNode } from './on-node.js';
import { kubeOf } from './kubernetes.js';
import { WorkloadProbe } from './rollout-probe.js';
import type { RolloutRecord } from './rollout-record.js';
import { budgetApiVersion, startRolloutWatch, type RolloutWatch } from './rollout-watch.js';
import { budgetKept, oneAtATime, rolloutDone, rolloutPaused, workloadAnswered, type Verdict } from './rollout-verdicts.js';
import { createWorkload, WORKLOAD_BUDGET, workloadReady } from './rollout-workload.js';
import { API_WAIT } from '../kube/client.js';

/** What a scenario's rollout steps share: the timeline file, the watch, the workload's probe. */
export interface Rollout {
  /** `rollout-timeline.txt` in the run's artifacts: the watch's changes and the probe's, one line each. */
  file: string;
  /** Appends a line to the file at once, so it holds everything up to a crash. */
  write(line: string): void;
  watch?: RolloutWatch;
  /** The update operator's, agents' and guard's logs, copied into `pods/` of the artifacts. */
  logs?: PodLogCopy;
  workload?: { probe: WorkloadProbe; errorBudget: number; replicas: number };
}

/** The host probes the workload this often; failed probes this close together are one outage. */
const PROBE_MS = 2000;

function rolloutOf(ctx: ScenarioContext): Rollout {
  if (!ctx.rollout) {
    const dir = ctx.report.artifactsDir ?? ctx.paths.root;
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'rollout-timeline.txt');
    ctx.rollout = { file, write: (line) => appendFileSync(file, `${line}\n`) };
  }
  return ctx.rollout;
}

/** The record of the watch a `watch: rollout` step started (the scenario's load made sure one did), and its file. */
function watched(ctx: ScenarioContext): { record: RolloutRecord; file: string } {
  const r = ctx.rollout;
  if (!r?.watch) throw new LabError('this step judges the rollout watch, and no watch: rollout step ran before it', 'add - watch: rollout after bootstrap', 2);
  return { record: r.watch.record, file: r.file };
}

/**
 * `watch: rollout`: follows the nodes and budgets from now on, and copies the logs of the pods
 * that reboot nodes: a node's own copy of an agent's last words before its reboot does not last.
 */
export async function watchRollout(ctx: ScenarioContext): Promise<string> {
  const r = rolloutOf(ctx);
  const { kc } = kubeOf(ctx);
  r.watch = await startRolloutWatch(kc, r.write, stepDeadline(ctx, 60), ctx.signal);
  const logs = path.join(path.dirname(r.file), 'pods');
  r.logs = copyPodLogs(kc, [UPDATE_NAMESPACE], logs);
  const { nodes, budgets } = r.watch.record.now;
  return `following ${nodes.size} nodes and ${budgets.size} PodDisruptionBudgets into ${r.file}, ${UPDATE_NAMESPACE}'s pod logs into ${logs}`;
}

/** What a node says it booted: its release, kernel and slot, and its boot selection (grubenv). */
const BOOTED = [
  '. /etc/os-release && echo "$VERSION"',
  'uname -r',
  "tr ' ' '\\n' </proc/cmdline | sed -n 's/^labos.slot=//p'",
  // One line, its entries split by ';': a value may hold spaces (ORDER=B A).
  'sudo -n grub-editenv /boot/grub/grubenv list | tr "\\n" ";"',
].join('; ');

/**
 * Every node runs `version` as the nodes themselves tell it over SSH, beyond the label FLUO's
 * agent copies from os-release: its VERSION, the release's kernel, and a slot GRUB boots first
 * and has confirmed good.
 */
async function nodesOnRelease(ctx: ScenarioContext, version: string, file: string): Promise<string> {
  const kernel = ctx.published.get(version)?.kernel;
  const seen = await Promise.all(ctx.lab.nodes.map(async (node) => {
    const [release = '', running = '', slot = '', env = ''] = (await onNode(ctx, node, BOOTED)).trim().split('\n');
    const grub = Object.fromEntries(env.split(';').filter(Boolean).map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
    const problems = [
      release !== version && `VERSION ${release || 'unset'}`,
      kernel && running !== kernel && `kernel ${running}, not ${kernel}`,
      !/^[AB]$/.test(slot) && `no labos.slot on its command line`,
      /^[AB]$/.test(slot) && !(grub.ORDER?.startsWith(slot) && grub[`${slot}_OK`] === '1' && grub[`${slot}_TRY`] === '0') && `slot ${slot} not first and confirmed (${env.replaceAll(';', ' ')})`,
    ].filter(Boolean);
    return { node: node.name, line: `${node.name} ${release}, kernel ${running}, slot ${slot}`, problems };
  }));
  const wrong = seen.filter((s) => s.problems.length);
  if (wrong.length) throw new EvidenceError(`the watch saw ${version} everywhere, but ${wrong.map((s) => `${s.node} says ${s.problems.join(', ')}`).join('; ')}`, [file]);
  return seen.map((s) => s.line).join('; ');
}

/**
 * `wait: rollout-done|rollout-paused`: until the watch says so; a verdict that can no longer
 * change ends the wait at once. A finished rollout is then confirmed on the nodes themselves.
 */
export async function waitRollout(ctx: ScenarioContext, step: Extract<ScenarioStep, { kind: 'rollout' }>): Promise<string> {
  const { record, file } = watched(ctx);
  const nodes = ctx.lab.nodes.map((n) => n.name);
  const judge = step.until === 'done' ? rolloutDone : rolloutPaused;
  const finding = await waitFor(
    `the rollout of ${step.version} to be ${step.until}`,
    async () => {
      const p = judge(record, nodes, step.version);
      if (p.state === 'failed') throw new EvidenceError(p.problem, [file]);
      return p.state === 'done' ? p.finding : pending(p.now);
    },
    { deadline: stepDeadline(ctx, step.timeoutS), intervalMs: 2000, fatal: (e) => e instanceof EvidenceError, evidence: [file], signal: ctx.signal },
  );
  return step.until === 'done' ? `${finding}; the nodes say: ${await nodesOnRelease(ctx, step.version, file)}` : finding;
}

/** `workload`: creates it, waits for it to answer the host, then probes it for the rest of the run. */
export async function startWorkload(ctx: ScenarioContext, step: Extract<ScenarioStep, { kind: 'workload' }>): Promise<string> {
  const { kc } = kubeOf(ctx);
  const busybox = (await readKubeAssets(ctx.paths)).images.find((i) => i.ref.includes('/busybox:'));
  if (!busybox) throw new LabError('the lab loaded no busybox image', 'bring the lab up again with `up --boot install`');
  const deadline = stepDeadline(ctx, 120);
  const workload = {
    replicas: step.replicas,
    minAvailable: step.minAvailable,
    image: busybox.ref,
    budgetApiVersion: await budgetApiVersion(kc),
    probeTimeoutS: ctx.timeoutScale,
    nodes: step.nodes,
    evictAfterS: step.evictAfterS,
  };
  const { nodePort, pods } = await createWorkload(kc, workload, deadline);
  const r = rolloutOf(ctx);
  const probe = new WorkloadProbe(
    ctx.lab.nodes.map((n) => ({ node: n.name, url: `http://${n.ip}:${nodePort}/` })),
    { intervalMs: PROBE_MS, timeoutMs: 5000 * ctx.timeoutScale, write: r.write },
  );
  const first = await waitFor(`the workload to answer on node port ${nodePort}`, async () => {
    const res = await probe.once();
    return 'node' in res ? res : pending(res.errors.join('; '));
  }, { deadline, intervalMs: PROBE_MS, signal: ctx.signal });
  probe.start();
  r.workload = { probe, errorBudget: step.errorBudget, replicas: step.replicas };
  return `pods ${pods}; node port ${nodePort} answered via ${first.node} (pod ${first.pod}), probed every ${PROBE_MS / 1000}s from now on`;
}

const verdict = (v: Verdict, file: string): string => {
  if (!v.ok) throw new EvidenceError(v.problem, [file]);
  return v.finding;
};

/** The workload a `workload` step created (the scenario's load made sure one came first). */
function workloadOf(ctx: ScenarioContext, judge: string): NonNullable<Rollout['workload']> {
  const w = ctx.rollout?.workload;
  if (!w) throw new LabError(`${judge} judges the workload, and no workload step ran before it`, 'add a workload step before it', 2);
  return w;
}

/**
 * `check: workload-ready` (now) and `wait: workload-ready` (by `deadline`): every replica Ready
 * on a Ready node of its own, as after a fault the workload's pods have been rescheduled.
 */
export async function workloadReadyStep(ctx: ScenarioContext, deadline?: number): Promise<string> {
  const { replicas } = workloadOf(ctx, 'workload-ready');
  const { kc } = kubeOf(ctx);
  const lost = new Set([...ctx.poweredOff, ...ctx.linkDown]);
  if (deadline === undefined) {
    const now = await workloadReady(kc, replicas, lost);
    if (!now.ready) throw new EvidenceError(now.line, [ctx.rollout!.file]);
    return now.line;
  }
  const started = Date.now();
  const line = await waitFor('the workload at full strength', async () => {
    const now = await workloadReady(kc, replicas, lost);
    return now.ready ? now.line : pending(now.line);
  }, { deadline, intervalMs: 2000, ...API_WAIT, signal: ctx.signal });
  return `${line}, after ${Math.round((Date.now() - started) / 1000)}s`;
}

/** The rollout's lab checks (LAB_CHECK_FNS), judged on what the watch and the probe saw so far. */
export const ROLLOUT_CHECK_FNS = {
  'one-at-a-time': async (ctx: ScenarioContext) => {
    const { record, file } = watched(ctx);
    return verdict(oneAtATime(record), file);
  },
  'budget-kept': async (ctx: ScenarioContext) => {
    const { record, file } = watched(ctx);
    return verdict(budgetKept(record, WORKLOAD_BUDGET), file);
  },
  'workload-answered': async (ctx: ScenarioContext) => {
    const { probe, errorBudget } = workloadOf(ctx, 'workload-answered');
    return verdict(workloadAnswered(probe.probes, probe.failures, errorBudget, 2 * PROBE_MS, ctx.rollout!.watch?.record), ctx.rollout!.file);
  },
} satisfies Record<RolloutCheckName, (ctx: ScenarioContext) => Promise<string>>;

/** Ends the watch and the probe: the run's last act before its evidence is gathered. */
export async function stopRollout(ctx: ScenarioContext): Promise<void> {
  await Promise.all([ctx.rollout?.watch?.stop(), ctx.rollout?.workload?.probe.stop(), ctx.rollout?.logs?.stop()]);
}
