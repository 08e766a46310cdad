/**
 * npm run bench:bootstrap — the Kubernetes layer on lab/bootstrap.yaml (1 controller + 1 worker):
 * from `up`, the time to the temporary API server answering /healthz, to the pivot complete
 * (self-hosted plane running, temporary plane gone), and to every node Ready; and the peak
 * memory of each VM (its qemu process, sampled on the host) and of the lab's own processes: the
 * `metal-lab run` that drives the scenario, run from the compiled CLI as users run it, and the
 * boot server it starts. Their peaks are the kernel's high-water marks (VmHWM), not samples.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { hostLayout } from '../src/ground/host-layout.js';
import { bootServerPids } from '../src/ground/processes.js';
import { loadLab } from '../src/spec/lab.js';
import { ensureHost } from '../src/setup/host.js';
import { mib, procStatusKiB, sampleQemuRss } from './qemu-rss.js';

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const SCENARIO = ['name: bench-bootstrap', 'lab: bootstrap', 'steps:', '  - up: { boot: install }', '  - wait: installed', '    timeout: 180s',
  '  - wait: ssh', '    timeout: 60s', '  - copy-secrets', '  - wait: etcd-health', '    nodes: [node1]', '    timeout: 60s',
  '  - bootstrap: true', '    timeout: 30m', '  - wait: node-ready', '    timeout: 120s', ''].join('\n');

await ensureHost();
await execa('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
const lab = await loadLab('bootstrap');
const rss = sampleQemuRss(lab);
const artifactsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'metal-lab-bench-bootstrap-'));
const scenarioFile = path.join(artifactsDir, 'bench-bootstrap.yaml');
await fs.writeFile(scenarioFile, SCENARIO);
const run = execa(process.execPath, ['dist/cli/main.js', 'run', scenarioFile, '--lab', 'lab/bootstrap.yaml', '--artifacts', artifactsDir, '--json'], { reject: false, stderr: 'inherit' });
// VmHWM only grows: the last reading before each process ends is its peak.
const peak = { run: 0, bootServer: 0 };
const paths = hostLayout().lab(lab.id);
const watch = setInterval(async () => {
  peak.run = Math.max(peak.run, procStatusKiB(run.pid!, 'VmHWM'));
  for (const pid of await bootServerPids(paths)) peak.bootServer = Math.max(peak.bootServer, procStatusKiB(pid, 'VmHWM'));
}, 500);
const result = await run;
clearInterval(watch);
rss.stop();
if (result.exitCode !== 0) throw new Error(`the bench run failed; its artifacts are in ${artifactsDir}`);

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
console.log(`  lab process (metal-lab run, compiled): ${mib(peak.run)}`);
console.log(`  boot server (metal-lab matchbox serve): ${mib(peak.bootServer)}`);
await fs.rm(artifactsDir, { recursive: true, force: true });
