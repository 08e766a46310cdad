import test from 'ava';
import fs from 'node:fs/promises';
import path from 'node:path';
import { updateReboots } from '../../../src/html-report/update-reboots.js';
import { runFixtureDir, runFixtureTimeline } from '../../support/run-fixtures.js';

test("update reboots from the rollout watch's timeline: a finished one with its versions, one the run stopped in", async (t) => {
  const doc = await runFixtureTimeline('update-interrupted');
  const text = await fs.readFile(path.join(runFixtureDir('update-interrupted'), 'rollout-timeline.txt'), 'utf8');
  const start = Date.parse(doc.startedAt);
  const bars = updateReboots(text, start);
  t.deepEqual(bars.map((b) => [b.node, b.label, b.outcome]), [
    ['node2', 'update reboot 1.0.0 → 2.0.0', 'ok'],
    ['node1', 'update reboot', 'unfinished'],
  ]);
  const [node2, node1] = bars;
  t.is(node2!.startMs, Date.parse('2026-11-29T01:28:38.441Z') - start);
  t.is(node2!.endMs, Date.parse('2026-11-29T01:34:30.315Z') - start);
  t.is(node2!.detail, 'reboot-in-progress 01:28:38 → 01:34:30; new boot at 01:33:23; label/version 1.0.0 → 2.0.0');
  t.is(node1!.endMs, Date.parse('2026-11-29T01:53:37.492Z') - start, 'open until the watch last wrote');
  t.is(node1!.detail, 'reboot-in-progress since 01:39:45, still set when the watch stopped; new boot at 01:47:17');
});

test('a boot ID that changes outside an update window is a reboot of its own; other lines are ignored', (t) => {
  const text = ['2026-11-29T01:00:00.000Z node3 bootID: aaa -> bbb', '2026-11-29T01:00:01.000Z pdb default/web currentHealthy: 3 -> 2', 'not a line of the watch', ''].join('\n');
  t.deepEqual(
    updateReboots(text, Date.parse('2026-11-29T00:00:00.000Z')).map((b) => [b.node, b.label, b.startMs, b.endMs]),
    [['node3', 'reboot', 3_600_000, 3_600_000]],
  );
});
