import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { hostLayout } from '../../src/ground/host-layout.js';
import { artifactsDir, assertNothingLeft, cli, ownLabAndSnapshots, readTimeline, runInTest } from '../e2e/helpers.js';

// A scenario that starts with `resume:`, run twice on lab/mini.yaml: the first run installs the
// nodes and saves the lab as the snapshot, the second restores it instead of installing, proves
// it healthy after the restore, and runs the same checks. Under TCG about 10 minutes, then 3.
const ID = 'mini';
const SNAPSHOT = 'e2e-resume';
const SCENARIO = `name: resume-installed
lab: mini
steps:
  - resume: ${SNAPSHOT}
    steps:
      - up: { boot: install }
      - wait: installed
        timeout: 180s
      - wait: ssh
        timeout: 60s
      - copy-secrets
      - wait: etcd-health
        nodes: [node1]
        timeout: 60s
  - wait: ssh
    timeout: 60s
  - check: etcd-health
    nodes: [node1]
`;

test('resume: the first run makes the snapshot, the second starts from it, healthy after the restore', async (t) => {
  t.timeout(60 * 60_000);
  await ownLabAndSnapshots(t, ID);
  const tmp = await artifactsDir(t, 'metal-lab-e2e-resume-');
  const scenario = path.join(tmp, 'resume-installed.yaml');
  await fs.writeFile(scenario, SCENARIO);

  const run = async (n: number) => {
    const dir = path.join(tmp, `run${n}`);
    const started = Date.now();
    const r = await runInTest(t, [scenario, '--artifacts', dir, '--json']);
    const seconds = Math.round((Date.now() - started) / 1000);
    t.log(`run ${n}: exit ${r.exitCode} in ${seconds}s`);
    const output = String(r.all);
    t.log(output.split('\n').filter((l) => /resume|snapshot|save|restore|healthy|clock was/.test(l)).join('\n'));
    t.is(r.exitCode, 0, output.split('\n').slice(-30).join('\n'));
    return { output, seconds, timeline: await readTimeline(dir) };
  };
  const passed = (tl: Awaited<ReturnType<typeof run>>['timeline'], step: string) => tl.events.some((e) => e.kind === 'step-ok' && e.step === step);

  const first = await run(1);
  t.regex(first.output, new RegExp(`no snapshot ${SNAPSHOT} of lab mini yet: its 5 steps run`));
  t.true(passed(first.timeline, 'reached installed'), 'the first run installs');
  t.true(passed(first.timeline, `save ${SNAPSHOT}`), 'and saves the lab');
  const list = JSON.parse(String((await cli(['snapshot', 'list', ID, '--json'])).stdout)) as Array<{ name: string }>;
  t.deepEqual(list.map((s) => s.name), [SNAPSHOT], "the run's down keeps the snapshot");

  const second = await run(2);
  t.false(passed(second.timeline, 'reached installed'), 'the second run installs nothing');
  t.true(passed(second.timeline, 'healthy after restore'));
  t.regex(second.output, /healthy \d+s after the restore \(limit \d+s\): node1: .*is healthy/);
  t.regex(second.output, /node1: clock was .* behind the host, stepped to the host's time/);
  t.true(passed(second.timeline, 'etcd-health'), 'the checks after the resume pass on the restored lab');
  t.true(second.seconds < first.seconds, `the restore (${second.seconds}s) is quicker than the install (${first.seconds}s)`);

  const purge = await cli(['down', ID, '--purge']);
  t.is(purge.exitCode, 0, String(purge.all));
  await assertNothingLeft(t, ID);
  await t.throwsAsync(fs.stat(hostLayout().snapshots(ID)));
});
