/**
 * npm run bench:bootstrap — the Kubernetes layer on lab/bootstrap.yaml (1 controller + 1 worker):
 * from `up`, the time to the temporary API server answering /healthz, to the pivot complete
 * (self-hosted plane running, temporary plane gone), and to every node Ready; and the peak
 * memory of each VM (its qemu process, sampled on the host) and of the lab process itself.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadLab } from '../src/spec/lab.js';
import { parseScenario } from '../src/spec/scenario.js';
import { runScenario } from '../src/scenario/run.js';
import { ensureHost } from '../src/setup/host.js';
import { mib, sampleQemuRss } from './qemu-rss.js';

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

await ensureHost();
const lab = await loadLab('bootstrap');
const rss = sampleQemuRss(lab);

const scenario = parseScenario(
  ['name: bench-bootstrap', 'lab: bootstrap', 'steps:', '  - up: { boot: install }', '  - wait: installed', '    timeout: 180s',
    '  - wait: ssh', '    timeout: 60s', '  - wait: etcd-health', '    nodes: [node1]', '    timeout: 60s',
    '  - bootstrap: true', '    timeout: 30m', '  - wait: node-ready', '    timeout: 120s', ''].join('\n'),
  'bench-bootstrap.yaml',
);
const artifactsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'metal-lab-bench-bootstrap-'));
const run = await runScenario({ scenario, lab, artifactsDir, quiet: true });
rss.stop();
if (!run.ok) throw new Error(`the bench run failed; its artifacts are in ${artifactsDir}`);

const timeline = JSON.parse(await fs.readFile(path.join(artifactsDir, 'timeline.json'), 'utf8')) as {
  events: Array<{ kind: string; step: string; ms: number; message?: string; data?: unknown }>;
};
const start = timeline.events.find((e) => e.step === 'preflight')!.ms;
const last = (kind: string, step: string) => Math.max(...timeline.events.filter((e) => e.kind === kind && e.step === step).map((e) => e.ms)) - start;
// The pivot's own phase timings, recorded by the bootstrap step: the API answered after copy + apiUp.
const phases = timeline.events.find((e) => e.message === 'pivot phases (ms)')?.data as { copyMs: number; apiUpMs: number } | undefined;
if (!phases) throw new Error('the run recorded no pivot phases');
const apiUp = last('step-start', 'bootstrap') + phases.copyMs + phases.apiUpMs;
const accel = timeline.events.find((e) => e.message?.startsWith('accelerator:'))?.message;

console.log(`lab bootstrap: ${lab.nodes.map((n) => `${n.name} (${n.role}, ${n.memoryMiB} MiB, ${n.vcpus} vCPU)`).join(', ')}; ${accel}`);
console.log(`from up:`);
console.log(`  temporary API server healthy:        ${sec(apiUp)}`);
console.log(`  pivot complete (self-hosted, torn down): ${sec(last('step-ok', 'bootstrap'))}`);
console.log(`  all nodes Ready:                     ${sec(last('step-ok', 'reached node-ready'))}`);
console.log('peak memory (RSS on the host):');
for (const n of lab.nodes) console.log(`  VM ${n.name}: ${mib(rss.peak.get(n.name)!)} of ${n.memoryMiB} MiB`);
console.log(`  lab process: ${mib(process.resourceUsage().maxRSS)}`);
await fs.rm(artifactsDir, { recursive: true, force: true });
