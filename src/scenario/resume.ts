import path from 'node:path';
import { labModel } from '../ground/lab-model.js';
import { loadKubeconfig } from '../kube/client.js';
import { controllersAct, nodesRenewedSince } from '../kube/health.js';
import { canonicalDigest } from '../lab/lab-inputs.js';
import { removeSnapshot } from '../lab/snapshot-list.js';
import { snapshotNames, UnusableSnapshotError, type SnapshotManifest } from '../lab/snapshot-manifest.js';
import { checkSnapshotFor, upFromSnapshot } from '../lab/snapshot-restore.js';
import { checkSave, saveSnapshot } from '../lab/snapshot-save.js';
import { displayPath } from '../spec/spec-file.js';
import type { ScenarioStep } from '../spec/scenario.js';
import { labNow } from '../toolkit/lab-clock.js';
import { waitFor } from '../toolkit/wait-for.js';
import { stepDeadline, type ScenarioContext } from './context.js';
import { etcdHealth } from './etcd.js';

type ResumeStep = Extract<ScenarioStep, { kind: 'resume' }>;
/** What looking a snapshot up needs of the scenario: the lab, the host, a line for the report. */
type Finder = Pick<ScenarioContext, 'lab' | 'host'> & { report: { info(message: string): void } };

/** What a resume's snapshot is looked up by besides the lab's inputs: the steps that make it. */
export const recipeKey = (steps: readonly ScenarioStep[]): string => canonicalDigest(steps);

/**
 * The lab's snapshot `name` if it can stand for the steps: made by a resume of the same steps,
 * from this lab file, whole. One that cannot is removed (a cache entry, made again), and why is
 * said. The images and the Kubernetes build are compared later, by `up --from`, once it built them.
 */
export async function matchingSnapshot(ctx: Finder, step: ResumeStep, recipe: string): Promise<SnapshotManifest | undefined> {
  const { lab, host } = ctx;
  if (!(await snapshotNames(host, lab.id)).includes(step.snapshot)) {
    ctx.report.info(`no snapshot ${step.snapshot} of lab ${lab.id} yet: its ${step.steps.length} steps run, then the lab is saved as it`);
    return undefined;
  }
  try {
    const m = await checkSnapshotFor(lab, step.snapshot, displayPath(lab.file), host);
    if (m.recipe === recipe) return m;
    throw new UnusableSnapshotError(`snapshot ${step.snapshot} of lab ${lab.id} was ${m.recipe ? 'made by other steps' : 'saved by hand, not by this resume'}`, '');
  } catch (err) {
    if (!(err instanceof UnusableSnapshotError)) throw err;
    await forget(ctx, step, err);
    return undefined;
  }
}

async function forget(ctx: Finder, step: ResumeStep, why: Error): Promise<void> {
  ctx.report.info(`${why.message}: removed, its ${step.steps.length} steps run and save it again`);
  await removeSnapshot(ctx.host, ctx.lab.id, step.snapshot);
}

/**
 * A restored lab is healthy within the step's limit, on the nodes' stepped clocks: etcd answers
 * on every controller, and in a bootstrapped cluster every kubelet renewed its lease after the
 * restore (Ready alone could be what etcd remembered from the save).
 */
async function healthyAfterRestore(ctx: ScenarioContext, step: ResumeStep, restoredAt: number): Promise<string> {
  const deadline = stepDeadline(ctx, step.timeoutS);
  const started = labNow();
  const seen: string[] = [];
  if (ctx.boot === 'install') {
    for (const node of labModel(ctx.lab).controllers) {
      seen.push(`${node.name}: ${await waitFor(`etcd on ${node.name} after the restore`, () => etcdHealth(ctx, node).catch(() => undefined), { deadline, intervalMs: 2000, signal: ctx.signal })}`);
    }
  }
  if (ctx.kube) {
    const names = ctx.lab.nodes.map((n) => n.name);
    seen.push(...(await nodesRenewedSince(ctx.kube.kc, names, restoredAt, { timeoutMs: Math.max(0, deadline - labNow()), intervalMs: 2000 })));
    seen.push(await controllersAct(ctx.kube.kc, { timeoutMs: Math.max(0, deadline - labNow()), intervalMs: 2000 }));
  }
  const limit = Math.round(step.timeoutS * ctx.timeoutScale);
  return `healthy ${Math.round((labNow() - started) / 1000)}s after the restore (limit ${limit}s): ${seen.join('; ') || 'every node running'}`;
}

/**
 * `resume: NAME`: the lab brought back from its snapshot NAME (`up --from`, clocks stepped, then
 * proven healthy) when one matches; otherwise the resume's steps run (`runSteps`) and the lab is
 * saved as NAME, keyed by those steps, for the next run.
 */
export async function resume(ctx: ScenarioContext, step: ResumeStep, runSteps: (steps: ScenarioStep[]) => Promise<void>): Promise<void> {
  const recipe = recipeKey(step.steps);
  const m = await matchingSnapshot(ctx, step, recipe);
  if (m) {
    try {
      const res = await upFromSnapshot(ctx.lab, m, { steps: ctx.report, signal: ctx.signal, host: ctx.host });
      ctx.timeoutScale = res.timeoutScale;
      ctx.boot = m.inputs.boot;
      if (step.steps.some((s) => s.kind === 'bootstrap')) {
        ctx.kube = { assetDir: ctx.paths.bootkube, kc: loadKubeconfig(path.join(ctx.paths.bootkube, 'auth', 'kubeconfig')) };
      }
      const restoredAt = Date.now();
      await ctx.report.step('healthy after restore', undefined, async (s) => s.ok(await healthyAfterRestore(ctx, step, restoredAt)));
      return;
    } catch (err) {
      // Other images or another Kubernetes build: found only once `up` built today's, before it created anything.
      if (!(err instanceof UnusableSnapshotError)) throw err;
      await forget(ctx, step, err);
    }
  }
  await runSteps(step.steps);
  await ctx.report.step(`save ${step.snapshot}`, undefined, async (s) => {
    const state = await checkSave(ctx.host, ctx.lab.id, step.snapshot);
    const saved = await saveSnapshot(state, step.snapshot, { host: ctx.host, steps: ctx.report, recipe });
    const gib = Object.values(saved.files).reduce((sum, f) => sum + f.size, 0) / 2 ** 30;
    s.ok(`snapshot ${step.snapshot} of lab ${ctx.lab.id}: ${saved.nodes.length} nodes, ${gib.toFixed(1)} GiB; the next run resumes from it`);
  });
}
