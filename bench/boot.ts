/**
 * npm run bench:boot — wall time to PXE-provision 1, 2 and 4 nodes in parallel, beside the floor:
 * a direct `qemu -kernel` boot of the same kernel and initramfs running the same agent against
 * a boot server on loopback, measured in the same run. Also the startup time of
 * `metal-lab status` and the peak RSS of the lab process and of its boot server.
 * Floor and PXE are driven in turns, BENCH_ROUNDS rounds (default 3), and each column shows its
 * median: under TCG on 2 cores one boot moves by a sixth from run to run.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { loadLab } from '../src/spec/lab.js';
import type { LabSpec } from '../src/ground/lab-spec.js';
import { probeAccel } from '../src/libvirt/accel.js';
import { buildLiveImage } from '../src/images/labos-live.js';
import { bootDirect } from '../src/qemu/direct-boot.js';
import { startMatchboxServer } from '../src/matchbox/server.js';
import { writeGroup, writeIgnition, writeProfile } from '../src/matchbox/writer.js';
import { nodeRequests, readRequestLog } from '../src/matchbox/request-log.js';
import { renderLiveMatchboxData } from '../src/render/matchbox-live.js';
import { up } from '../src/lab/up.js';
import { down } from '../src/lab/down.js';
import { hostLayout } from '../src/ground/host-layout.js';
import { bootServerPids } from '../src/ground/processes.js';
import { bootStage } from '../src/lab/node-progress.js';
import { ensureHost } from '../src/setup/host.js';
import { waitFor } from '../src/toolkit/wait-for.js';

const SIZES = (process.env.BENCH_NODES ?? '1,2,4').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const AGENT_DONE = 'metal-lab: agent done';

/** A lab of n nodes, written to a file so that `metal-lab status bench` finds it like any lab. */
async function benchLab(nodes: number): Promise<LabSpec> {
  const lines = Array.from({ length: nodes }, (_, i) =>
    `  - { name: node${i + 1}, role: ${i === 0 ? 'controller' : 'worker'}, mac: "52:54:00:be:00:0${i + 1}", ip: 172.23.0.${21 + i} }`);
  const file = path.join(os.tmpdir(), `metal-lab-bench-${nodes}.yaml`);
  await fs.writeFile(file, ['id: bench', 'network: { bridge: ml-bench0, subnet: 172.23.0.0/24 }', 'bootServer: { port: 8080 }',
    'defaults: { memory: 512, vcpus: 1, disk: 4 }', 'nodes:', ...lines, ''].join('\n'));
  return loadLab(file);
}

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mib = (kb: number) => `${Math.round(kb / 1024)} MiB`;

/**
 * The floor: the same agent, kernel and initramfs, booted by qemu -kernel with user networking,
 * one guest per node of the lab, all at once; the time until the last agent is done.
 */
async function floor(lab: LabSpec, image: { kernel: string; initrd: string }, accel: 'kvm' | 'tcg'): Promise<number> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'metal-lab-floor-'));
  const data = renderLiveMatchboxData(lab);
  for (const p of data.profiles) await writeProfile(dir, p);
  for (const g of data.groups) await writeGroup(dir, g);
  for (const i of data.ignition) await writeIgnition(dir, i.name, i.config);
  const server = await startMatchboxServer({ dataDir: dir, assetsDir: dir, host: '127.0.0.1', port: 0 });
  try {
    const t0 = performance.now();
    const boots = await Promise.all(
      lab.nodes.map((node) =>
        bootDirect({
          kernel: image.kernel,
          initrd: image.initrd,
          append: `console=ttyS0,115200 quiet metal.server=http://10.0.2.2:${server.port} metal.mac=${node.mac.replaceAll(':', '-')}`,
          memoryMiB: node.memoryMiB,
          vcpus: node.vcpus,
          accel,
          consoleLog: path.join(dir, `${node.name}.log`),
          net: { mac: node.mac },
          untilMarker: AGENT_DONE,
          timeoutMs: 600_000,
        }),
      ),
    );
    const ms = performance.now() - t0;
    // A restart after a stalled kernel puts a minute into this floor: say so next to the figure.
    const restarted = lab.nodes.filter((_, i) => boots[i]!.restarted).map((n) => n.name);
    if (restarted.length > 0) console.log(`  (floor includes a qemu restart after a stalled kernel: ${restarted.join(', ')})`);
    return ms;
  } finally {
    await server.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Peak RSS (VmHWM) of a live process, in KiB. */
async function peakRss(pid: number): Promise<number> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** PXE-provisions a lab: from `up` until every node's agent has called back from userspace. */
async function provision(lab: LabSpec, timeoutMs: number) {
  await down(lab.id);
  const t0 = performance.now();
  const deadline = Date.now() + timeoutMs;
  await up(lab);
  const tVms = performance.now();
  const log = hostLayout().lab(lab.id).requestLog;
  await waitFor('every bench node to reach userspace', async () => {
    const entries = await readRequestLog(log).catch(() => []);
    return lab.nodes.every((n) => bootStage(nodeRequests(entries, n)) === 'userspace') || undefined;
  }, { deadline, intervalMs: 250 });
  const tDone = performance.now();
  return { total: tDone - t0, boot: tDone - tVms };
}

/** Median wall time of `metal-lab status` from the compiled CLI, as users run it. */
async function statusStartup(labId: string): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    await execa(process.execPath, ['dist/cli/main.js', 'status', labId, '--json']);
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[3]!;
}

await ensureHost();
await execa('npx', ['tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
const probe = await probeAccel('auto');
const image = await buildLiveImage();
console.log(`accelerator: ${probe.accel} (${probe.reason}); host: ${os.cpus().length} cores`);

console.log(`nodes  floor (qemu -kernel, in parallel)  PXE: up->all userspace  up done->all userspace  ratio to floor   (medians of ${ROUNDS} rounds)`);
let statusMs = 0;
let serverRss = 0;
for (const n of SIZES) {
  const lab = await benchLab(n);
  const floors: number[] = [];
  const totals: number[] = [];
  const boots: number[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      floors.push(await floor(lab, image, probe.accel));
      const r = await provision(lab, 900_000);
      totals.push(r.total);
      boots.push(r.boot);
      if (n === SIZES.at(-1) && round === ROUNDS) {
        statusMs = await statusStartup(lab.id);
        for (const pid of await bootServerPids(hostLayout().lab(lab.id))) serverRss = Math.max(serverRss, await peakRss(pid));
      }
    }
  } finally {
    await down(lab.id);
    await fs.rm(lab.file, { force: true });
  }
  const [floorMs, total] = [median(floors), median(totals)];
  console.log(`${String(n).padStart(5)}  ${sec(floorMs).padStart(32)}  ${sec(total).padStart(22)}  ${sec(median(boots)).padStart(23)}  ${(total / floorMs).toFixed(2).padStart(13)}x`);
  console.log(`       each round: floor ${floors.map(sec).join(', ')}; PXE ${totals.map(sec).join(', ')}`);
}
console.log(`metal-lab status startup (median of 7): ${Math.round(statusMs)} ms (goal <= 300 ms)`);
console.log(`peak RSS: lab process ${mib(process.resourceUsage().maxRSS)}, boot server ${mib(serverRss)}`);
