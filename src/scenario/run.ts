import path from 'node:path';
import fs from 'node:fs/promises';
import type { LabSpec, NodeSpec } from '../spec/types.js';
import { labObjectNames } from '../spec/types.js';
import type { ScenarioSpec, ScenarioStep } from '../spec/scenario.js';
import { RunReport } from '../report/run-report.js';
import { up } from '../lab/up.js';
import { down } from '../lab/down.js';
import { labPaths } from '../lab/paths.js';
import { renderedFiles } from '../lab/lab-files.js';
import { dhcpLeases } from '../libvirt/network.js';
import { bootStage } from '../lab/node-progress.js';
import { CHECKS } from './checks.js';
import { nodeEvidence, requestsOf, type ScenarioContext } from './context.js';
import { EvidenceError, waitFor } from './evidence.js';

export interface RunOptions {
  scenario: ScenarioSpec;
  lab: LabSpec;
  artifactsDir: string;
  /** Leave the lab running afterwards. */
  keep?: boolean;
  plain?: boolean;
  quiet?: boolean;
  signal?: AbortSignal;
}

export interface RunResult {
  ok: boolean;
  artifactsDir: string;
}

/** Runs `fn` for every node at once, one report line each; a failure cites its evidence. */
function perNode(ctx: ScenarioContext, step: string, fn: (node: NodeSpec) => Promise<string>): Promise<unknown> {
  return Promise.all(
    ctx.lab.nodes.map((node) =>
      ctx.report.step(step, node.name, async (s) => {
        try {
          s.ok(await fn(node));
        } catch (err) {
          s.fail(err, err instanceof EvidenceError ? err.evidence : []);
          throw err;
        }
      }),
    ),
  );
}

const STEPS: { [K in ScenarioStep['kind']]: (ctx: ScenarioContext, step: Extract<ScenarioStep, { kind: K }>) => Promise<unknown> } = {
  up: async (ctx) => {
    const res = await up(ctx.lab, { steps: ctx.report, signal: ctx.signal });
    ctx.timeoutScale = res.timeoutScale;
  },
  wait: (ctx, step) =>
    perNode(ctx, `reached ${step.stage}`, async (node) => {
      const timeoutMs = step.timeoutS * 1000 * ctx.timeoutScale;
      await waitFor(`${node.name} to reach ${step.stage}`, async () => ((bootStage(await requestsOf(ctx, node)) === step.stage) ? true : undefined), {
        timeoutMs,
        evidence: () => nodeEvidence(ctx, node),
        signal: ctx.signal,
      });
      return `within ${Math.round(timeoutMs / 1000)}s limit`;
    }),
  check: (ctx, step) => perNode(ctx, step.check, (node) => CHECKS[step.check](ctx, node)),
};

/** Copies every piece of evidence into the artifacts dir while the lab still exists. */
async function gatherEvidence(lab: LabSpec, report: RunReport, dir: string): Promise<void> {
  const p = labPaths(lab.id);
  const leases = await dhcpLeases(labObjectNames(lab).network).catch(() => []);
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'leases.json'), `${JSON.stringify(leases, null, 2)}\n`);
  const rendered = renderedFiles(lab);
  await report.collect([
    { src: p.requestLog, name: 'matchbox-requests.jsonl' },
    { src: p.serverLog, name: 'matchbox-server.log' },
    { src: rendered.network, name: 'libvirt/network.xml' },
    ...lab.nodes.flatMap((n) => [
      { src: p.console(n.name), name: `console/${n.name}.log` },
      { src: rendered.domain(n.name), name: `libvirt/domain-${n.name}.xml` },
    ]),
  ]);
}

/**
 * Runs a scenario's steps in order against a lab, stopping at the first failure, then gathers
 * the evidence and tears the lab down unless asked to keep it.
 */
export async function runScenario(opts: RunOptions): Promise<RunResult> {
  const report = new RunReport({ artifactsDir: opts.artifactsDir, lab: opts.lab.id, scenario: opts.scenario.name, plain: opts.plain, quiet: opts.quiet });
  const ctx: ScenarioContext = { lab: opts.lab, report, timeoutScale: 1, signal: opts.signal };
  try {
    for (const step of opts.scenario.steps) {
      await (STEPS[step.kind] as (c: ScenarioContext, s: ScenarioStep) => Promise<unknown>)(ctx, step);
    }
  } catch (err) {
    // A failed step has reported itself with its evidence; anything else is reported here.
    if (report.ok) report.start('run', undefined).fail(err);
  } finally {
    await gatherEvidence(opts.lab, report, opts.artifactsDir).catch((err) => report.info(`collecting artifacts failed: ${(err as Error).message}`));
    if (!opts.keep) await report.step('down', undefined, () => down(opts.lab.id)).catch(() => {});
    await report.finish();
  }
  return { ok: report.ok, artifactsDir: opts.artifactsDir };
}
