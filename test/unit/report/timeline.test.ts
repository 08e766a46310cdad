import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Timeline, stepResults } from '../../../src/report/timeline.js';

/** A clock the test moves by hand. */
function manualClock(start = 5000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

test('events carry elapsed ms and a wall time consistent with the start', (t) => {
  const clock = manualClock();
  const tl = new Timeline('mini', 'pxe-boot', { now: clock.now, startedAt: new Date('2024-05-01T10:00:00.000Z') });
  tl.record('step-start', 'dhcp lease', { node: 'node1' });
  clock.advance(1250);
  tl.record('step-ok', 'dhcp lease', { node: 'node1', message: '172.19.0.21', data: { ip: '172.19.0.21' } });
  clock.advance(40);
  tl.record('info', 'run', { message: 'accelerator: tcg', node: undefined });

  t.deepEqual(tl.events, [
    { t: '2024-05-01T10:00:00.000Z', ms: 0, kind: 'step-start', step: 'dhcp lease', node: 'node1' },
    { t: '2024-05-01T10:00:01.250Z', ms: 1250, kind: 'step-ok', step: 'dhcp lease', node: 'node1', message: '172.19.0.21', data: { ip: '172.19.0.21' } },
    { t: '2024-05-01T10:00:01.290Z', ms: 1290, kind: 'info', step: 'run', message: 'accelerator: tcg' },
  ]);
  t.false('node' in tl.events[2]!, 'undefined fields are left out');
  t.true(tl.ok);
});

test('real concurrent steps are recorded in order with their true elapsed time', async (t) => {
  const tl = new Timeline('mini', 'pxe-boot');
  // Each step's true elapsed time, measured around its start and end records.
  const took = new Map<string, number>();
  const node = async (name: string, ms: number) => {
    const start = performance.now();
    tl.record('step-start', 'pxe boot', { node: name });
    await sleep(ms);
    tl.record('step-ok', 'pxe boot', { node: name });
    took.set(name, performance.now() - start);
  };
  await Promise.all([node('node1', 120), node('node2', 40)]);

  t.deepEqual(
    tl.events.map((e) => `${e.kind} ${e.node}`),
    ['step-start node1', 'step-start node2', 'step-ok node2', 'step-ok node1'],
  );
  const ms = tl.events.map((e) => e.ms);
  t.deepEqual(ms, [...ms].sort((a, b) => a - b), 'ms never goes backwards');
  const [r1, r2] = stepResults(tl.events);
  // A Node timer may fire up to a millisecond early, and each record rounds to a whole one.
  t.true(r1!.endMs - r1!.startMs >= 118, `node1 took ${r1!.endMs - r1!.startMs}ms`);
  // No more than the time measured around it (the timeline rounds to whole ms), however slow the machine.
  t.true(r1!.endMs - r1!.startMs <= Math.ceil(took.get('node1')!) + 1, `node1: ${r1!.endMs - r1!.startMs}ms recorded, ${took.get('node1')}ms measured`);
  t.true(r2!.endMs - r2!.startMs >= 38, `node2 took ${r2!.endMs - r2!.startMs}ms`);
  t.true(r2!.endMs < r1!.endMs);
  for (const e of tl.events) t.is(Date.parse(e.t) - Date.parse(tl.startedAt), e.ms);
});

test('a failure makes the run not ok; finish stamps the end and closes the timeline', (t) => {
  const clock = manualClock();
  const tl = new Timeline('mini', 'pxe-boot', { now: clock.now, startedAt: new Date('2024-05-01T10:00:00.000Z') });
  tl.record('step-start', 'install', { node: 'node2' });
  clock.advance(3000);
  tl.record('step-fail', 'install', { node: 'node2', message: 'timed out', evidence: ['/x/node2.log'] });
  t.false(tl.ok);
  clock.advance(500);
  const doc = tl.finish();
  t.is(doc.finishedAt, '2024-05-01T10:00:03.500Z');
  t.false(doc.ok);
  t.is(doc.events.length, 2);
  t.throws(() => tl.record('info', 'run'), { message: /finished/ });
});

test('stepResults pairs starts and ends per (step, node), keeps skips and unfinished steps', (t) => {
  const clock = manualClock(0);
  const tl = new Timeline('mini', 'pxe-boot', { now: clock.now });
  tl.record('step-start', 'dhcp lease', { node: 'node1' });
  tl.record('step-start', 'dhcp lease', { node: 'node2' });
  clock.advance(100);
  tl.record('step-fail', 'dhcp lease', { node: 'node2', message: 'no lease', evidence: ['/e/leases'] });
  clock.advance(100);
  tl.record('step-ok', 'dhcp lease', { node: 'node1', message: '172.19.0.21' });
  tl.record('step-skip', 'install', { node: 'node2', message: 'no lease' });
  tl.record('step-start', 'boot server up');

  const results = stepResults(tl.events);
  t.deepEqual(
    results.map((r) => [r.step, r.node, r.outcome, r.endMs - r.startMs, r.evidence]),
    [
      ['dhcp lease', 'node1', 'ok', 200, []],
      ['dhcp lease', 'node2', 'fail', 100, ['/e/leases']],
      ['install', 'node2', 'skip', 0, []],
      ['boot server up', undefined, 'unfinished', 0, []],
    ],
  );
});

test('write() produces the timeline.json document', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'timeline-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const tl = new Timeline('mini', 'pxe-boot');
  tl.record('warn', 'run', { message: 'no KVM: TCG is slow' });
  tl.finish();
  const file = path.join(dir, 'nested', 'timeline.json');
  await tl.write(file);
  const doc = JSON.parse(await readFile(file, 'utf8'));
  t.deepEqual(Object.keys(doc), ['lab', 'scenario', 'startedAt', 'finishedAt', 'ok', 'events']);
  t.is(doc.lab, 'mini');
  t.is(doc.scenario, 'pxe-boot');
  t.true(doc.ok);
  t.is(doc.events[0].message, 'no KVM: TCG is slow');
  t.true(Date.parse(doc.finishedAt) >= Date.parse(doc.startedAt));
});
