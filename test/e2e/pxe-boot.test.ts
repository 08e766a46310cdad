import fs from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { artifactsDir, assertNothingLeft, cli, runInTest } from './helpers.js';
import { libvirtd, needs, virsh } from '../support/needs.js';
import { longestSilence } from '../support/silences.js';

const e2e = needs(virsh, libvirtd);

interface Timeline {
  ok: boolean;
  events: Array<{ kind: string; step: string; node?: string; message?: string }>;
}

/** Runs the pxe-boot scenario through the CLI and returns its timeline. */
async function runPxeBoot(t: ExecutionContext, lab: string, dir: string): Promise<{ exitCode?: number; output: string; timeline: Timeline; silentMs: number }> {
  const run = runInTest(t, ['pxe-boot', '--lab', lab, '--artifacts', dir, '--json']);
  const silence = longestSilence(run);
  const r = await run;
  const timeline = JSON.parse(await fs.readFile(path.join(dir, 'timeline.json'), 'utf8')) as Timeline;
  return { exitCode: r.exitCode, output: String(r.all), timeline, silentMs: silence() };
}

e2e('pxe-boot on lab/mini.yaml (BIOS), with a second lab (UEFI) side by side; down leaves nothing', async (t) => {
  const tmp = await artifactsDir(t, 'metal-lab-e2e-');
  await Promise.all([cli(['down', 'mini']), cli(['down', 'side'])]);
  const [mini, side] = await Promise.all([runPxeBoot(t, 'mini', path.join(tmp, 'mini')), runPxeBoot(t, 'test/e2e/labs/side.yaml', path.join(tmp, 'side'))]);
  t.log(mini.output);
  t.log(side.output);

  for (const [run, nodes] of [[mini, ['node1', 'node2']], [side, ['node1']]] as const) {
    t.is(run.exitCode, 0);
    t.true(run.timeline.ok);
    // A workshop user never watches a silent terminal for more than 10 s (the heartbeat is 5 s).
    t.log(`longest silence of the run's progress: ${run.silentMs} ms`);
    t.true(run.silentMs <= 10_000, `silent for ${run.silentMs} ms`);
    for (const node of nodes) {
      for (const step of ['reached userspace', 'dhcp-lease', 'boot-chain', 'userspace']) {
        t.true(
          run.timeline.events.some((e) => e.kind === 'step-ok' && e.step === step && e.node === node),
          `${node}: ${step} passed`,
        );
      }
    }
  }
  const artifacts = await fs.readdir(path.join(tmp, 'mini'));
  for (const f of ['junit.xml', 'timeline.json', 'leases.json', 'matchbox-requests.jsonl', 'console']) t.true(artifacts.includes(f), f);
  const leases = JSON.parse(await fs.readFile(path.join(tmp, 'mini', 'leases.json'), 'utf8')) as Array<{ mac: string; ip: string }>;
  t.deepEqual(leases.map((l) => `${l.mac}=${l.ip}`).sort(), ['52:54:00:a1:9c:ae=172.19.0.21', '52:54:00:b2:2f:86=172.19.0.22']);
  await assertNothingLeft(t, 'mini');
  await assertNothingLeft(t, 'side');
});
