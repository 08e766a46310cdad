/**
 * npm run bench:install — the install + etcd layer on the 3-controller lab (lab/etcd.yaml):
 * time from `up` to every node installed (first boot of the installed system reported), to SSH
 * reachable, and to etcd healthy on every controller; the labos image build times, cold (a fresh
 * cache dir) and cached; and the image sizes.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildDiskImage, describeSizes } from '../src/images/labos-disk.js';
import { buildLiveImage } from '../src/images/labos-live.js';
import { loadLab } from '../src/spec/lab.js';
import { parseScenario } from '../src/spec/scenario.js';
import { runScenario } from '../src/scenario/run.js';
import { ensureHost } from '../src/setup/host.js';

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
}

await ensureHost();
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'metal-lab-bench-install-'));
let keep = false;
try {
  const [live, liveCold] = await timed(() => buildLiveImage({ cacheDir: tmp }));
  const [, liveCached] = await timed(() => buildLiveImage({ cacheDir: tmp }));
  const [disk, diskCold] = await timed(() => buildDiskImage({ cacheDir: tmp }));
  const [, diskCached] = await timed(() => buildDiskImage({ cacheDir: tmp }));
  console.log(`labos live image: cold ${sec(liveCold)}, cached ${sec(liveCached)}; kernel ${(live.sizes.kernel / 1e6).toFixed(1)} MB, initramfs ${(live.sizes.initrd / 1e6).toFixed(1)} MB`);
  console.log(`labos disk image: cold ${sec(diskCold)}, cached ${sec(diskCached)}; ${describeSizes(disk.sizes)}`);

  // The same steps as scenarios/etcd-cluster.yaml up to a healthy cluster, timed by the run's timeline.
  const scenario = parseScenario(
    ['name: bench-install', 'lab: etcd', 'steps:', '  - up: { boot: install }', '  - wait: installed', '    timeout: 120s',
      '  - wait: ssh', '    timeout: 60s', '  - wait: etcd-health', '    timeout: 60s', ''].join('\n'),
    'bench-install.yaml',
  );
  const lab = await loadLab('etcd');
  const artifactsDir = path.join(tmp, 'run');
  const run = await runScenario({ scenario, lab, artifactsDir, quiet: true });
  const timeline = JSON.parse(await fs.readFile(path.join(artifactsDir, 'timeline.json'), 'utf8')) as {
    events: Array<{ kind: string; step: string; ms: number; message?: string }>;
  };
  const start = timeline.events.find((e) => e.step === 'preflight')!.ms;
  const allDone = (step: string) => Math.max(...timeline.events.filter((e) => e.kind === 'step-ok' && e.step === step).map((e) => e.ms)) - start;
  if (!run.ok) {
    keep = true;
    throw new Error(`the bench run failed; its artifacts are in ${artifactsDir}`);
  }
  const accel = timeline.events.find((e) => e.message?.startsWith('accelerator:'))?.message;
  console.log(`3 controllers (${accel}), from up:`);
  console.log(`  all installed (first boot of the installed system reported): ${sec(allDone('reached installed'))}`);
  console.log(`  SSH reachable on all:                                       ${sec(allDone('reached ssh'))}`);
  console.log(`  etcd healthy on all:                                        ${sec(allDone('reached etcd-health'))}`);
} finally {
  if (!keep) await fs.rm(tmp, { recursive: true, force: true });
}
