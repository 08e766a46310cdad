import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { metalLab } from '../../support/run-cli.js';
import { runFixtureCopy } from '../../support/run-fixtures.js';
import { tempDir } from '../../support/temp-dir.js';

test("report DIR rebuilds a run's report.html and prints its path", async (t) => {
  const dir = await runFixtureCopy(t, 'update-interrupted');
  const r = await metalLab(['report', dir]);
  t.is(r.exitCode, 0, r.stderr);
  t.is(r.stdout, path.join(dir, 'report.html'));
  t.regex(await fs.readFile(r.stdout, 'utf8'), /^<!doctype html>[^]*<h1>update on update <span class="verdict failed">FAILED<\/span><\/h1>/);
});

test('a dir with no timeline, no dir at all, or a timeline that is not one: one line and exit 2, nothing written', async (t) => {
  const dir = await tempDir(t, 'metal-lab-report-');
  const fix = 'Fix: pass the dir a run wrote its artifacts to (`metal-lab run --artifacts DIR`; by default artifacts/<scenario>-<lab>-<time>)';
  const empty = await metalLab(['report', dir]);
  t.deepEqual(empty, { exitCode: 2, stdout: '', stderr: `metal-lab: ${dir} has no timeline.json, so it holds no run to report. ${fix}` });
  const missing = await metalLab(['report', path.join(dir, 'nope')]);
  t.deepEqual(missing, { exitCode: 2, stdout: '', stderr: `metal-lab: ${path.join(dir, 'nope')} does not exist. ${fix}` });
  await fs.writeFile(path.join(dir, 'timeline.json'), '{"events": []}');
  const wrong = await metalLab(['report', dir]);
  t.is(wrong.exitCode, 2);
  t.is(wrong.stderr, `metal-lab: ${path.join(dir, 'timeline.json')} is not a run's timeline: it lacks lab, scenario, startedAt or events. ${fix}`);
  t.deepEqual(await fs.readdir(dir), ['timeline.json']);
});
