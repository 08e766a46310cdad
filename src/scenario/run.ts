import path from 'node:path';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabSpec, NodeSpec } from '../ground/lab-spec.js';
import { labObjectNames } from '../ground/lab-spec.js';
import { flatSteps, type LabCheckName, type NodeCheckName, type ScenarioSpec, type ScenarioStep, type WaitStage } from '../spec/scenario.js';
import { RunReport } from '../report/run-report.js';
import { writeHtmlReport } from '../html-report/write-report.js';
import { checkScenarioLab } from '../spec/scenario-lab.js';
import { hostLayout, type HostLayout, type LabLayout } from '../ground/host-layout.js';
import { up } from '../lab/up.js';
import { preflightLab } from '../preflight/preflight.js';
import { down } from '../lab/down.js';
import { dhcpLeases } from '../libvirt/network.js';
import { bootStage } from '../lab/node-progress.js';
import { CHECKS, LAB_CHECK_FNS } from './checks.js';
import { etcdHealth } from './etcd.js';
import { domainPidFile, pullPlug, startDomain } from '../libvirt/domain.js';
import { pidFromFile } from '../ground/processes.js';
import { withClock } from '../toolkit/lab-clock.js';
import { untilAborted } from '../toolkit/until-aborted.js';
import { hostShareClock } from '../toolkit/host-share-clock.js';
import { nodeSshTarget } from '../node/lab-target.js';
import { SSH_ATTEMPT_MS, waitForSsh } from '../node/wait.js';
import { nodeJournal } from '../node/journal.js';
import { pending, Pending, waitFor, WaitTimeoutError } from '../toolkit/wait-for.js';
import { nodeEvidence, requestsOf, stepDeadline, type ScenarioContext } from './context.js';
import { EvidenceError } from './evidence.js';
import { faultNode, faultTitle } from '../spec/fault-steps.js';
import { kubernetes, rollouts } from './step-modules.js';

export interface RunOptions {
  scenario: ScenarioSpec;
  lab: LabSpec;
  artifactsDir: string;
  /** Leave the lab running afterwards. */
  keep?: boolean;
  plain?: boolean;
  quiet?: boolean;
  signal?: AbortSignal;
  host?: HostLayout;
}

export interface ScenarioResult {
  ok: boolean;
  artifactsDir: string;
}

/** The nodes a step names (checked against the lab at load), or all of them. */
function stepNodes(ctx: ScenarioContext, names?: string[]): NodeSpec[] {
  return names ? ctx.lab.nodes.filter((n) => names.includes(n.name)) : ctx.lab.nodes;
}

/** Runs `fn` for each node at once, one report line each; a failure cites its evidence. */
function perNode(ctx: ScenarioContext, step: string, nodes: NodeSpec[], fn: (node: NodeSpec) => Promise<string>): Promise<unknown> {
  return Promise.all(nodes.map((node) => reported(ctx, step, node.name, () => fn(node))));
}

function reported(ctx: ScenarioContext, step: string, node: string | undefined, fn: () => Promise<string>): Promise<void> {
  return ctx.report.step(step, node, async (s) => {
    try {
      // Ctrl-C ends a step at once, also one whose calls do not follow the signal.
      s.ok(await untilAborted(fn(), ctx.signal));
    } catch (err) {
      s.fail(err, err instanceof EvidenceError || err instanceof WaitTimeoutError ? err.evidence : []);
      throw err;
    }
  });
}

/** A wait's limit as its report line gives it: the timeout, scaled for the accelerator. */
const limitOf = (ctx: ScenarioContext, timeoutS: number) => `${Math.round(timeoutS * ctx.timeoutScale)}s limit`;

/** What a failed probe said: the timeout's "last seen", so a wait that runs out says why. */
const notYet = (err: Error) => pending(err.message);

/** Probes that answer "reached" (a value) or "not yet" (undefined, or what they saw instead), per wait stage. */
const REACHED: { [K in WaitStage]: (ctx: ScenarioContext, node: NodeSpec) => Promise<string | Pending | undefined> } = {
  userspace: async (ctx, node) => (bootStage(await requestsOf(ctx, node)) === 'userspace' ? 'callback received' : undefined),
  installed: async (ctx, node) =>
    (await requestsOf(ctx, node)).some((e) => e.path === '/lab/event' && e.labels?.stage === 'installed') ? 'first boot reported' : undefined,
  ssh: async (ctx, node) => {
    const target = await nodeSshTarget(ctx.lab, node, ctx.paths, ctx.timeoutScale);
    // One short attempt per poll: the outer wait owns the deadline and the evidence.
    return waitForSsh(target, { timeoutMs: SSH_ATTEMPT_MS * ctx.timeoutScale }).then((r) => `login after ${r.attempts} attempts`, notYet);
  },
  'etcd-health': async (ctx, node) => (node.role !== 'controller' ? 'no etcd on workers' : etcdHealth(ctx, node).catch(notYet)),
  'api-answers': async (ctx, node) => (await kubernetes()).apiAnswers(ctx, node).catch(notYet),
  'node-ready': async (ctx, node) => (await kubernetes()).nodeReady(ctx, node).catch(notYet),
};

// A step with heavy modules (Kubernetes, secrets over SSH, releases, faults, resume) loads them when it runs.
const STEPS: { [K in ScenarioStep['kind']]: (ctx: ScenarioContext, step: Extract<ScenarioStep, { kind: K }>) => Promise<unknown> } = {
  up: async (ctx, step) => {
    ctx.boot = step.boot;
    const res = await up(ctx.lab, { steps: ctx.report, signal: ctx.signal, boot: step.boot, host: ctx.host });
    ctx.timeoutScale = res.timeoutScale;
  },
  wait: (ctx, step) => {
    const deadline = stepDeadline(ctx, step.timeoutS);
    const limit = limitOf(ctx, step.timeoutS);
    return perNode(ctx, `reached ${step.stage}`, stepNodes(ctx, step.nodes), async (node) => {
      const found = await waitFor(`${node.name} to reach ${step.stage}`, () => REACHED[step.stage](ctx, node), {
        deadline,
        intervalMs: 1000,
        evidence: () => nodeEvidence(ctx, node),
        signal: ctx.signal,
      });
      return `${found}, within ${limit}`;
    });
  },
  'lab-wait': (ctx, step) =>
    reported(ctx, `reached ${step.stage}`, undefined, async () => `${await (await rollouts()).workloadReadyStep(ctx, stepDeadline(ctx, step.timeoutS))}, within ${limitOf(ctx, step.timeoutS)}`),
  check: (ctx, step) => {
    const check = step.check;
    if (check in LAB_CHECK_FNS) return reported(ctx, check, undefined, () => LAB_CHECK_FNS[check as LabCheckName](ctx));
    return perNode(ctx, check, stepNodes(ctx, step.nodes), (node) => CHECKS[check as NodeCheckName](ctx, node));
  },
  'copy-secrets': async (ctx) => {
    const { copySecrets } = await import('./copy-secrets.js');
    return perNode(ctx, 'copy-secrets', ctx.lab.nodes, (node) => copySecrets(ctx, node));
  },
  power: (ctx, step) => {
    const [node] = stepNodes(ctx, [step.node]);
    const domain = labObjectNames(ctx.lab).domain(node!.name);
    return reported(ctx, `power ${step.action}`, node!.name, async () => {
      await (step.action === 'off' ? pullPlug(domain) : startDomain(domain));
      if (step.action === 'off') ctx.poweredOff.add(node!.name);
      else ctx.poweredOff.delete(node!.name);
      return step.action === 'off' ? 'plug pulled (virsh destroy)' : 'powered on';
    });
  },
  bootstrap: (ctx, step) =>
    reported(ctx, 'bootstrap', undefined, async () => {
      const { timings } = await (await kubernetes()).bootstrap(ctx, stepDeadline(ctx, step.timeoutS));
      ctx.report.info('pivot phases (ms)', { ...timings });
      const s = (ms: number) => `${Math.round(ms / 1000)}s`;
      return `temporary API up after ${s(timings.apiUpMs)}, self-hosted plane Running after ${s(timings.selfHostedMs)} more, pivot complete in ${s(timings.totalMs)}`;
    }),
  reboot: (ctx, step) =>
    // Back on SSH within the install stage's limit: a reboot is a boot from disk without the install.
    reported(ctx, 'reboot', undefined, async () => (await kubernetes()).rebootNodes(ctx, stepNodes(ctx, step.nodes), stepDeadline(ctx, 300))),
  publish: (ctx, step) => reported(ctx, `publish ${step.version}`, undefined, async () => (await import('./publish.js')).publishStep(ctx, step)),
  watch: (ctx) => reported(ctx, 'watch rollout', undefined, async () => (await rollouts()).watchRollout(ctx)),
  'etcd-writes': (ctx) => reported(ctx, 'watch etcd-writes', undefined, async () => (await import('./etcd-writes.js')).startEtcdWriter(ctx)),
  rollout: (ctx, step) => reported(ctx, `rollout ${step.until}`, undefined, async () => (await rollouts()).waitRollout(ctx, step)),
  workload: (ctx, step) => reported(ctx, 'workload', undefined, async () => (await rollouts()).startWorkload(ctx, step)),
  resume: async (ctx, step) => (await import('./resume.js')).resume(ctx, step, (steps) => runSteps(ctx, steps)),
  pause: (ctx, step) =>
    reported(ctx, 'pause', undefined, async () => {
      await sleep(step.seconds * 1000, undefined, { signal: ctx.signal });
      return `${step.seconds}s`;
    }),
  fault: (ctx, step) =>
    reported(ctx, faultTitle(step.fault), faultNode(step.fault), async () =>
      ((await import('./faults/index.js')).FAULTS[step.fault.kind] as (c: ScenarioContext, f: typeof step.fault, deadline: number) => Promise<string>)(ctx, step.fault, stepDeadline(ctx, step.timeoutS)),
    ),
};

/** Steps in order, each noting when the host's CPU went elsewhere while it ran. */
async function runSteps(ctx: ScenarioContext, steps: readonly ScenarioStep[]): Promise<void> {
  for (const step of steps) {
    const before = { stretch: ctx.clock.stretchMs(), wall: Date.now() };
    try {
      await (STEPS[step.kind] as (c: ScenarioContext, s: ScenarioStep) => Promise<unknown>)(ctx, step);
    } finally {
      noteStretch(ctx.report, step.kind, ctx.clock.stretchMs() - before.stretch, Date.now() - before.wall);
    }
  }
}

/**
 * After a failure on installed nodes: each node's journal (etcd, kubelet, containerd, Ignition,
 * the kernel), over SSH or from its disk when SSH is what failed. Nodes at once, each bounded.
 */
async function gatherJournals(ctx: ScenarioContext, dir: string): Promise<void> {
  const p = ctx.paths;
  const names = labObjectNames(ctx.lab);
  await fs.mkdir(path.join(dir, 'journal'), { recursive: true });
  const written = await Promise.all(
    ctx.lab.nodes.map(async (node) => {
      const file = path.join(dir, 'journal', `${node.name}.log`);
      try {
        const target = await nodeSshTarget(ctx.lab, node, p, ctx.timeoutScale);
        await fs.writeFile(file, await nodeJournal(target, path.join(p.disks, names.volume(node.name)), 120_000));
        return `journal/${node.name}.log`;
      } catch (err) {
        ctx.report.info(`${node.name}: no journal: ${(err as Error).message}`);
        return undefined;
      }
    }),
  );
  const got = written.filter((f) => f !== undefined);
  if (got.length) ctx.report.info(`node journals: ${got.join(', ')}`);
}

/** Copies every piece of evidence into the artifacts dir while the lab still exists. */
async function gatherEvidence(lab: LabSpec, p: LabLayout, report: RunReport, dir: string): Promise<void> {
  const leases = await dhcpLeases(labObjectNames(lab).network).catch(() => []);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'leases.json'), `${JSON.stringify(leases, null, 2)}\n`);
  await report.collect([
    { src: p.requestLog, name: 'matchbox-requests.jsonl' },
    { src: p.serverLog, name: 'matchbox-server.log' },
    { src: p.networkXml, name: 'libvirt/network.xml' },
    ...(lab.kubernetes ? [{ src: p.bootkubeLog, name: 'bootkube.log' }] : []),
    ...lab.nodes.flatMap((n) => [
      { src: p.console(n.name), name: `console/${n.name}.log` },
      { src: p.domainXml(n.name), name: `libvirt/domain-${n.name}.xml` },
    ]),
  ]);
}

/** The processes whose CPU is the lab's: this runner, the boot server and every node's QEMU. */
function labProcesses(lab: LabSpec, paths: LabLayout): number[] {
  const names = labObjectNames(lab);
  const pidFiles = [paths.serverPid, ...lab.nodes.map((n) => domainPidFile(names.domain(n.name)))];
  return [process.pid, ...pidFiles.map(pidFromFile).filter((pid) => pid !== undefined)];
}

/** Says when a step's deadline ran longer because the host's CPU went to work outside the lab. */
function noteStretch(report: RunReport, step: string, stretchMs: number, wallMs: number): void {
  if (stretchMs < 5000) return;
  const share = Math.round((100 * (wallMs - stretchMs)) / wallMs);
  report.info(`${step}: the host's CPU went to work outside the lab, which had about ${share}% of what it could use; deadlines allowed ${Math.round(stretchMs / 1000)}s more`, {
    stretchMs: Math.round(stretchMs),
    wallMs,
  });
}

/**
 * Runs a scenario's steps in order against a lab, stopping at the first failure, then gathers
 * the evidence and tears the lab down unless asked to keep it. The scenario is checked against
 * the lab first, and, when it brings the lab up, the lab against the host: a mismatch is one
 * line before anything runs, prints or is written.
 */
export async function runScenario(opts: RunOptions): Promise<ScenarioResult> {
  checkScenarioLab(opts.scenario, opts.lab);
  const host = opts.host ?? hostLayout();
  if (flatSteps(opts.scenario.steps).some(({ step }) => step.kind === 'up')) await preflightLab(opts.lab, host);
  const paths = host.lab(opts.lab.id);
  const report = new RunReport({ artifactsDir: opts.artifactsDir, lab: opts.lab.id, scenario: opts.scenario.name, plain: opts.plain, quiet: opts.quiet, htmlReport: writeHtmlReport });
  // Deadlines run on the share of the host the lab gets: a loaded host makes a run slower, not failed.
  const clock = hostShareClock({ pids: () => labProcesses(opts.lab, paths) });
  const ctx: ScenarioContext = { lab: opts.lab, host, paths, report, clock, timeoutScale: 1, boot: 'live', poweredOff: new Set(), linkDown: new Set(), etcdKeys: new Map(), published: new Map(), signal: opts.signal };
  try {
    await withClock(clock, () => runSteps(ctx, opts.scenario.steps));
  } catch (err) {
    // A failed step has reported itself with its evidence; anything else is reported here.
    report.failRun(err);
  } finally {
    // Before anything else: the watch and the probe would otherwise go on through `down`.
    if (ctx.rollout) await (await rollouts()).stopRollout(ctx);
    await ctx.etcdWriter?.stop();
    // A run that failed before `up` made the lab (a missing build, bad input) has no lab evidence:
    // a warning for each file it never made would bury the one line that says why.
    if (!existsSync(paths.root)) report.info(`lab ${opts.lab.id} was not created: no lab artifacts or journals to collect`);
    else {
      await gatherEvidence(opts.lab, paths, report, opts.artifactsDir).catch((err) => report.info(`collecting artifacts failed: ${(err as Error).message}`));
      if (!report.ok && ctx.boot === 'install') await gatherJournals(ctx, opts.artifactsDir);
    }
    if (!opts.keep) await report.step('down', undefined, () => down(opts.lab.id, host)).catch(() => {});
    await report.finish();
  }
  return { ok: report.ok, artifactsDir: opts.artifactsDir };
}
