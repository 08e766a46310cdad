/**
 * npm run bench:snapshot — a lab brought back from a snapshot against building it: lab/bootstrap.yaml
 * from nothing to a self-hosted cluster with every node Ready, as the first step (`resume:`) of a
 * scenario, which saves it; then the same scenario again, which restores it and proves it healthy
 * (etcd answers, every kubelet renewed its lease since the restore). Prints the build, the save,
 * restore to healthy, the snapshot's size on disk, and the peak RSS of each VM's qemu.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hostLayout } from '../src/ground/host-layout.js';
import { down } from '../src/lab/down.js';
import { removeSnapshot } from '../src/lab/snapshot-list.js';
import { snapshotDir, snapshotNames } from '../src/lab/snapshot-manifest.js';
import { runScenario } from '../src/scenario/run.js';
import { loadLab } from '../src/spec/lab.js';
import { parseScenario } from '../src/spec/scenario.js';
import { ensureHost } from '../src/setup/host.js';
import { mib, sampleQemuRss } from './qemu-rss.js';

const SNAPSHOT = 'bench-bootstrapped';
const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

interface Event { kind: string; step: string; ms: number }

await ensureHost();
const host = hostLayout();
const lab = await loadLab('bootstrap');
await down(lab.id, host);
if ((await snapshotNames(host, lab.id)).includes(SNAPSHOT)) await removeSnapshot(host, lab.id, SNAPSHOT);

const scenario = parseScenario(
  ['name: bench-snapshot', 'lab: bootstrap', 'steps:', `  - resume: ${SNAPSHOT}`, '    timeout: 120s', '    steps:',
    '      - up: { boot: install }', '      - wait: installed', '        timeout: 180s', '      - wait: ssh', '        timeout: 60s',
    '      - wait: etcd-health', '        nodes: [node1]', '        timeout: 60s', '      - bootstrap: true', '        timeout: 30m',
    '      - wait: node-ready', '        timeout: 120s', '  - check: self-hosted', ''].join('\n'),
  'bench-snapshot.yaml',
);

/** One run of the scenario: its timeline, and each VM's peak qemu RSS. */
async function run(n: number): Promise<{ events: Event[]; peak: Map<string, number> }> {
  const artifactsDir = await fs.mkdtemp(path.join(os.tmpdir(), `metal-lab-bench-snapshot-${n}-`));
  const rss = sampleQemuRss(lab);
  const r = await runScenario({ scenario, lab, artifactsDir, quiet: true, host });
  rss.stop();
  if (!r.ok) throw new Error(`run ${n} failed; its artifacts are in ${artifactsDir}`);
  const { events } = JSON.parse(await fs.readFile(path.join(artifactsDir, 'timeline.json'), 'utf8')) as { events: Event[] };
  await fs.rm(artifactsDir, { recursive: true, force: true });
  return { events, peak: rss.peak };
}

/** When a step last started or passed, from the run's first event. */
const at = (events: Event[], kind: string, step: string) => Math.max(...events.filter((e) => e.kind === kind && e.step === step).map((e) => e.ms)) - events[0]!.ms;
const took = (events: Event[], step: string) => at(events, 'step-ok', step) - at(events, 'step-start', step);

/** Blocks a dir's files take on disk (the disks are copied sparse). */
async function diskUsage(dir: string): Promise<number> {
  const files = (await fs.readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
  const sizes = await Promise.all(files.map(async (e) => (await fs.stat(path.join(e.parentPath, e.name))).blocks * 512));
  return sizes.reduce((a, b) => a + b, 0);
}

const build = await run(1);
const used = await diskUsage(snapshotDir(host, lab.id, SNAPSHOT));
const restore = await run(2);
await removeSnapshot(host, lab.id, SNAPSHOT);

const built = at(build.events, 'step-ok', 'reached node-ready');
const healthy = at(restore.events, 'step-ok', 'healthy after restore');
console.log(`lab bootstrap: ${lab.nodes.map((n) => `${n.name} (${n.role}, ${n.memoryMiB} MiB, ${n.vcpus} vCPU)`).join(', ')}`);
console.log(`                                    from nothing   from the snapshot`);
console.log(`  to every node Ready / healthy:    ${sec(built).padStart(12)}   ${sec(healthy).padStart(17)}`);
console.log(`  to the self-hosted check passed:  ${sec(at(build.events, 'step-ok', 'self-hosted')).padStart(12)}   ${sec(at(restore.events, 'step-ok', 'self-hosted')).padStart(17)}   (goal for the snapshot: 90 s)`);
console.log(`    of which the restore's digests:  ${''.padStart(12)}  ${sec(took(restore.events, 'snapshot digests')).padStart(17)}`);
console.log(`    of which the health proof:       ${''.padStart(12)}  ${sec(took(restore.events, 'healthy after restore')).padStart(17)}`);
console.log(`  save (pause, memory, disks, digests): ${sec(took(build.events, `save ${SNAPSHOT}`))}`);
console.log(`  snapshot on disk: ${(used / 2 ** 30).toFixed(2)} GiB`);
console.log('peak qemu RSS (building / restored):');
for (const n of lab.nodes) console.log(`  ${n.name}: ${mib(build.peak.get(n.name)!)} / ${mib(restore.peak.get(n.name)!)} of ${n.memoryMiB} MiB`);
