import test from 'ava';
import { lanes, stepBars, type Bar } from '../../../src/html-report/lanes.js';
import { stepResults } from '../../../src/report/timeline.js';
import { runFixtureTimeline } from '../../support/run-fixtures.js';

test('a real run: the lab lane first with the steps of no node, then one lane per node with its own steps', async (t) => {
  const doc = await runFixtureTimeline('etcd-install-timeout');
  const results = stepResults(doc.events);
  const laneList = lanes(stepBars(results));
  t.deepEqual(laneList.map((l) => l.name), ['lab', 'node1', 'node2', 'node3']);
  const [lab, node1] = laneList;
  t.deepEqual(lab!.rows.flat().map((b) => b.label), ['accelerator', 'preflight', 'labos live image', 'labos disk image', 'lab files', 'network', 'boot server', 'disk pool']);
  t.is(lab!.rows.length, 1, 'steps one after another share a row');
  t.deepEqual(node1!.rows.flat().map((b) => [b.label, b.outcome]), [['vm', 'ok'], ['reached installed', 'fail']]);
  // Every (step, node) of the timeline is drawn once, on its node's lane, with its check number.
  const drawn = laneList.flatMap((l) => l.rows.flat());
  t.deepEqual(drawn.map((b) => b.check).sort((a, b) => a! - b!), results.map((_, i) => i));
  for (const bar of drawn) t.is(laneList.find((l) => l.rows.flat().includes(bar))!.node, bar.node);
});

test('bars that overlap in time go on separate rows; kinds keep rows of their own; nodes sort naturally', (t) => {
  const bar = (label: string, node: string | undefined, startMs: number, endMs: number, kind: Bar['kind'] = 'step'): Bar => ({ kind, label, node, startMs, endMs, outcome: 'ok' });
  const laneList = lanes([
    bar('watch rollout', 'node10', 0, 100),
    bar('workload', 'node10', 50, 80),
    bar('publish', 'node10', 100, 120),
    bar('update reboot', 'node10', 60, 90, 'reboot'),
    bar('PXE', 'node10', 0, 10, 'phase'),
    bar('vm', 'node2', 0, 5),
  ]);
  t.deepEqual(laneList.map((l) => l.name), ['node2', 'node10'], 'no lab lane without lab steps; node2 before node10');
  t.deepEqual(laneList[1]!.rows.map((row) => row.map((b) => b.label)), [['PXE'], ['watch rollout', 'publish'], ['workload'], ['update reboot']]);
});
