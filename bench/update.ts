/**
 * npm run bench:update [-- ARTIFACTS_DIR] — the update operator's rollout of labos 2.0.0 over
 * lab/update.yaml, from scenarios/update.yaml: per node the wait for its turn, drain and reboot
 * (cordon to its new boot reported), back to Ready, and uncordoned; the whole rollout (publish
 * to the last uncordon); and how long the Kubernetes API was gone (the rollout watch's lost
 * lists: the only controller reboots too). With ARTIFACTS_DIR it reads the figures from a
 * finished `metal-lab run update --artifacts DIR` instead of running the ~70-minute scenario.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadLab } from '../src/spec/lab.js';
import { loadScenario, resolveScenarioFile } from '../src/spec/scenario.js';
import { runScenario } from '../src/scenario/run.js';
import { ensureHost } from '../src/setup/host.js';

const VERSION = '2.0.0';
const sec = (ms: number) => `${(ms / 1000).toFixed(0)} s`.padStart(6);

async function artifacts(): Promise<string> {
  const given = process.argv[2];
  if (given) return path.resolve(given);
  await ensureHost();
  const scenario = await loadScenario(resolveScenarioFile('update'));
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'metal-lab-bench-update-'));
  const run = await runScenario({ scenario, lab: await loadLab(scenario.lab), artifactsDir: dir, quiet: true });
  if (!run.ok) throw new Error(`the bench run failed; its artifacts are in ${dir}`);
  return dir;
}

/** A rollout-timeline.txt line: when, who (a node, `api:`, `workload:`, `published`), what. */
interface Line {
  at: number;
  who: string;
  what: string;
}

const dir = await artifacts();
const lines: Line[] = (await fs.readFile(path.join(dir, 'rollout-timeline.txt'), 'utf8'))
  .trim()
  .split('\n')
  .map((l) => {
    const [stamp = '', who = '', ...rest] = l.split(' ');
    return { at: Date.parse(stamp), who, what: rest.join(' ') };
  });
const published = lines.find((l) => l.who === 'published' && l.what.startsWith(`${VERSION} `))?.at;
if (published === undefined) throw new Error(`${dir}/rollout-timeline.txt has no publish of ${VERSION}`);
const next = lines.find((l) => l.who === 'published' && l.at > published)?.at ?? Infinity;
const during = lines.filter((l) => l.at >= published && l.at < next);
/** The first change of a node's field after `from` whose text matches. */
const first = (node: string, field: string, change: RegExp, from: number) => during.find((l) => l.who === node && l.at >= from && l.what.startsWith(`${field}: `) && change.test(l.what))?.at;

const timeline = JSON.parse(await fs.readFile(path.join(dir, 'timeline.json'), 'utf8')) as { events: Array<{ kind: string; step: string; message?: string }> };
const finding = (step: string) => timeline.events.find((e) => e.kind === 'step-ok' && e.step === step)?.message ?? '(not recorded)';
const lab = await loadLab('update');
console.log(`lab update: ${lab.nodes.map((n) => `${n.name} (${n.role}, ${n.memoryMiB} MiB, ${n.vcpus} vCPU)`).join(', ')}; ${timeline.events.find((e) => e.message?.startsWith('accelerator:'))?.message}`);
console.log(`rollout of ${VERSION}, from its publish at ${new Date(published).toISOString().slice(11, 19)}:`);
console.log('  node    turn came   drain+reboot   Ready   uncordoned   node total');
let last = published;
let through = 0;
for (const { name } of lab.nodes) {
  const cordon = first(name, 'unschedulable', /-> true$/, published);
  const boot = cordon && first(name, 'bootID', /->/, cordon);
  if (!cordon || !boot) {
    console.log(`  ${name}   did not ${cordon ? 'reboot' : 'get cordoned'} in the record`);
    continue;
  }
  // A reboot quicker than the node monitor's grace period, or of the controller that runs it, never shows the node NotReady.
  const ready = first(name, 'Ready', /-> True$/, boot) ?? boot;
  const uncordon = first(name, 'unschedulable', /-> unset$/, boot);
  const tail = uncordon === undefined ? '     not uncordoned in the record' : `   ${sec(uncordon - ready)}      ${sec(uncordon - cordon)}`;
  console.log(`  ${name}  ${sec(cordon - published)}     ${sec(boot - cordon)}     ${sec(ready - boot)}${tail}`);
  if (uncordon !== undefined) [last, through] = [Math.max(last, uncordon), through + 1];
}
console.log(
  through === lab.nodes.length
    ? `  whole rollout (publish to the last uncordon): ${sec(last - published).trim()}`
    : `  whole rollout: not finished in the record (${through} of ${lab.nodes.length} nodes through)`,
);
const outages = during.filter((l) => l.who === 'api:' && l.what.startsWith('nodes listed again after')).map((l) => Number(/after (\d+)s/.exec(l.what)?.[1]) * 1000);
console.log(`  API gone: ${outages.length} times, ${sec(outages.reduce((a, b) => a + b, 0)).trim()} in all, longest ${sec(Math.max(0, ...outages)).trim()}`);
console.log(`  workload: ${finding('workload-answered')}`);
if (!process.argv[2]) await fs.rm(dir, { recursive: true, force: true });
