import fs from 'node:fs/promises';
import path from 'node:path';
import { artifactsDir, assertNothingLeft, ownLab, readTimeline, runInTest } from '../e2e/helpers.js';
import { libvirtd, needs, virsh } from '../support/needs.js';
import { takingTurns } from '../support/taking-turns.js';

// The flow's third act on lab/update.yaml (1 controller, 2 workers, labos installed A/B): FLUO
// rolls 2.0.0 over the nodes one at a time while a workload behind a PodDisruptionBudget keeps
// answering, then a 3.0.0 that cannot boot: the first node falls back, the guard pauses the rest.
// After bootstrap.test.ts it starts from that run's snapshot `bootstrapped` instead of installing.
// The scenario's own steps judge all of it; this test reads their findings back from the run's
// timeline and its rollout timeline.

const e2e = needs(virsh, libvirtd);

e2e('update on lab/update.yaml: 2.0.0 rolled out one node at a time under a PodDisruptionBudget, then a 3.0.0 that cannot boot pauses the rollout', async (t) => {
  // Measured here: 115 minutes for a whole run, most of it TCG; the run's own deadlines end it sooner when stuck.
  t.timeout(180 * 60_000);
  const dir = await artifactsDir(t, 'metal-lab-e2e-update-');
  await ownLab(t, 'update');
  const r = await takingTurns(() => runInTest(t, ['update', '--artifacts', dir, '--json']));
  t.log(String(r.all).split('\n').filter((l) => /rollout|published|reached|✔ (one-at-a-time|budget-kept|workload-answered)/.test(l)).join('\n'));
  t.is(r.exitCode, 0);
  const timeline = await readTimeline(dir);
  t.true(timeline.ok);
  const ok = (step: string) => timeline.events.filter((e) => e.kind === 'step-ok' && e.step === step).map((e) => e.message ?? '');

  const restored = ok('healthy after restore');
  t.log(restored.length ? `resumed from snapshot bootstrapped: ${restored[0]}` : 'no snapshot bootstrapped: installed and bootstrapped, then saved it');
  t.is(restored.length + ok('save bootstrapped').length, 1, 'the cluster came from the snapshot, or was made and saved');

  const [done] = ok('rollout done');
  t.regex(done ?? '', /every node on 2\.0\.0, Ready and in service, each rebooted once/);
  for (const node of ['node1', 'node2', 'node3']) t.regex(done ?? '', new RegExp(`${node} 2\\.0\\.0, kernel \\S+-amd64, slot B`), `${node} says it runs 2.0.0 from slot B`);
  t.notRegex(done ?? '', /cloud-amd64/, "2.0.0 runs Debian's generic kernel");
  const [paused] = ok('rollout paused');
  t.regex(paused ?? '', /^node\d failed 3\.0\.0: back on 2\.0\.0 .*paused for it: .*; no other node took 3\.0\.0$/);
  for (const check of ['one-at-a-time', 'budget-kept', 'workload-answered']) t.is(ok(check).length, 2, `${check} after each release`);

  const lines = (await fs.readFile(path.join(dir, 'rollout-timeline.txt'), 'utf8')).trim().split('\n');
  t.true(lines.some((l) => / published 2\.0\.0 on channel stable$/.test(l)));
  t.true(lines.some((l) => / published 3\.0\.0 on channel stable$/.test(l)));
  for (const node of ['node1', 'node2', 'node3']) t.true(lines.some((l) => l.includes(` ${node} label/version: 1.0.0 -> 2.0.0`)), `${node}'s version label turned 2.0.0`);
  // The agents' logs, copied from the host through every reboot: each said so before its own.
  const agents = path.join(dir, 'pods', 'reboot-coordinator');
  const said = await Promise.all((await fs.readdir(agents)).filter((p) => p.startsWith('flatcar-linux-update-agent')).map((p) => fs.readFile(path.join(agents, p, 'update-agent.log'), 'utf8')));
  t.is(said.filter((log) => log.includes('Node drained, rebooting')).length, 3, 'every agent logged its reboot, and the copy kept it');
  await assertNothingLeft(t, 'update');
});
