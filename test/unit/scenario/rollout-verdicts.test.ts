import test from 'ava';
import type { V1Node, V1NodeSystemInfo } from '@kubernetes/client-node';
import { FLUO_KEYS as K } from '../../../src/guard/keys.js';
import { budgetView, nodeView, RolloutRecord } from '../../../src/scenario/rollout-record.js';
import { budgetKept, oneAtATime, rolloutDone, rolloutPaused, workloadAnswered } from '../../../src/scenario/rollout-verdicts.js';
import { BUDGET, bootId, comesBack, failedUpdate, goesDown, goodRollout, installed, released, type RolloutStep } from '../../support/rollout-sequences.js';

const NODES = ['node1', 'node2', 'node3'];
/** 03:00:00 UTC: step i of a sequence happens i seconds later. */
const T0 = Date.UTC(2026, 10, 27, 3, 0, 0);

/** The cluster as the record sees it, one instant per step, a second apart. */
class Cluster {
  readonly record = new RolloutRecord();
  readonly lines: string[] = [];
  readonly nodes = new Map<string, V1Node>();
  at = T0;

  constructor(version: string, boot: number) {
    for (const name of NODES) {
      this.nodes.set(name, {
        metadata: { name, labels: { [K.version]: version, [K.rebootNeeded]: 'false' }, annotations: { [K.rebootNeeded]: 'false', [K.status]: 'UPDATE_STATUS_IDLE' } },
        status: { conditions: [{ type: 'Ready', status: 'True' }], nodeInfo: { bootID: bootId(name, boot) } as V1NodeSystemInfo },
      });
    }
    this.lines.push(...this.record.see(this.at, 'node', new Map([...this.nodes].map(([n, v]) => [n, nodeView(v)])), true));
    this.lines.push(...this.record.see(this.at, 'pdb', new Map([[BUDGET, budgetView({ status: { currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 1, expectedPods: 3, observedGeneration: 1 } })]]), true));
  }

  publish(version: string): void {
    this.at += 1000;
    this.lines.push(this.record.publish(this.at, version, 'stable'));
  }

  play(steps: readonly RolloutStep[]): void {
    for (const step of steps) {
      this.at += 1000;
      if ('budget' in step) {
        this.lines.push(...this.record.see(this.at, 'pdb', new Map([[BUDGET, budgetView({ status: { ...step.budget, expectedPods: 3, observedGeneration: 1 } })]])));
        continue;
      }
      const n = structuredClone(this.nodes.get(step.node)!);
      if ('status' in step) {
        n.status = { conditions: [{ type: 'Ready', status: step.status.ready }], nodeInfo: { ...n.status!.nodeInfo!, bootID: step.status.bootID } };
      } else {
        const merge = (into: Record<string, string>, patch: Record<string, string | null> = {}) => {
          for (const [k, v] of Object.entries(patch)) if (v === null) delete into[k]; else into[k] = v;
          return into;
        };
        n.metadata!.annotations = merge(n.metadata!.annotations ?? {}, step.annotations);
        n.metadata!.labels = merge(n.metadata!.labels ?? {}, step.labels);
        if (step.unschedulable !== undefined) n.spec = { unschedulable: step.unschedulable };
      }
      this.nodes.set(step.node, n);
      this.lines.push(...this.record.see(this.at, 'node', new Map([[step.node, nodeView(n)]])));
    }
  }
}

test('the record notes each change as one line, first sightings in full, and a look that changes nothing not at all', (t) => {
  const c = new Cluster('1.0.0', 1);
  t.deepEqual(c.lines, [
    '2026-11-27T03:00:00.000Z node1 seen: reboot-needed=false status=UPDATE_STATUS_IDLE label/reboot-needed=false label/version=1.0.0 Ready=True bootID=boot-node1-1',
    '2026-11-27T03:00:00.000Z node2 seen: reboot-needed=false status=UPDATE_STATUS_IDLE label/reboot-needed=false label/version=1.0.0 Ready=True bootID=boot-node2-1',
    '2026-11-27T03:00:00.000Z node3 seen: reboot-needed=false status=UPDATE_STATUS_IDLE label/reboot-needed=false label/version=1.0.0 Ready=True bootID=boot-node3-1',
    '2026-11-27T03:00:00.000Z pdb rollout-workload/web seen: currentHealthy=3 desiredHealthy=2 disruptionsAllowed=1',
  ]);
  c.publish('2.0.0');
  c.play([installed('node2', '2.0.0'), ...goesDown('node2', '1.0.0', '2.0.0', 1).slice(0, 4)]);
  t.deepEqual(c.lines.slice(4), [
    '2026-11-27T03:00:01.000Z published 2.0.0 on channel stable',
    '2026-11-27T03:00:02.000Z node2 label/reboot-needed: false -> true',
    '2026-11-27T03:00:02.000Z node2 new-version: unset -> 2.0.0',
    '2026-11-27T03:00:02.000Z node2 reboot-needed: false -> true',
    '2026-11-27T03:00:02.000Z node2 status: UPDATE_STATUS_IDLE -> UPDATE_STATUS_UPDATED_NEED_REBOOT',
    '2026-11-27T03:00:03.000Z node2 label/before-reboot: unset -> true',
    '2026-11-27T03:00:04.000Z node2 rollout-guard.before-reboot: unset -> true',
    '2026-11-27T03:00:04.000Z node2 rollout-guard.from-version: unset -> 1.0.0',
    '2026-11-27T03:00:04.000Z node2 rollout-guard.to-version: unset -> 2.0.0',
    '2026-11-27T03:00:05.000Z node2 label/before-reboot: true -> unset',
    '2026-11-27T03:00:05.000Z node2 reboot-ok: unset -> true',
    '2026-11-27T03:00:05.000Z node2 rollout-guard.before-reboot: true -> unset',
    '2026-11-27T03:00:06.000Z node2 reboot-in-progress: unset -> true',
    '2026-11-27T03:00:06.000Z node2 unschedulable: unset -> true',
  ]);
  const instants = c.record.instants.length;
  t.deepEqual(c.record.see(c.at + 1000, 'node', new Map([['node2', nodeView(c.nodes.get('node2')!)]])), []);
  t.is(c.record.instants.length, instants, 'no instant for a look that changed nothing');
  t.deepEqual(c.record.see(c.at + 2000, 'node', new Map([['node1', nodeView(c.nodes.get('node1')!)], ['node2', nodeView(c.nodes.get('node2')!)]]), true), ['2026-11-27T03:00:08.000Z node3 gone']);
  t.false(c.record.now.nodes.has('node3'));
});

test('a good rollout: one node at a time, the budget kept, done once every node runs the release', (t) => {
  const c = new Cluster('1.0.0', 1);
  c.publish('2.0.0');
  const steps = goodRollout(NODES, '1.0.0', '2.0.0');
  // Until the last node is released, it is not done.
  c.play(steps.slice(0, -3));
  const before = rolloutDone(c.record, NODES, '2.0.0');
  t.is(before.state, 'pending');
  t.is((before as { now: string }).now, 'node1 rebooted at 03:00:11.000; node2 rebooted at 03:00:24.000; node3 on 2.0.0 (IDLE), rebooted at 03:00:37.000, cordoned, reboot-ok, after-reboot');
  c.play(steps.slice(-3));
  t.deepEqual(rolloutDone(c.record, NODES, '2.0.0'), {
    state: 'done',
    finding: 'every node on 2.0.0, Ready and in service, each rebooted once since 03:00:01.000: node1 rebooted at 03:00:11.000, node2 rebooted at 03:00:24.000, node3 rebooted at 03:00:37.000',
  });
  t.deepEqual(oneAtATime(c.record), { ok: true, finding: 'one node at a time out of service: node1 03:00:07.000-03:00:16.000, node2 03:00:20.000-03:00:29.000, node3 03:00:33.000-03:00:42.000' });
  t.deepEqual(budgetKept(c.record, BUDGET), { ok: true, finding: 'PodDisruptionBudget rollout-workload/web kept: never below 2 healthy of 2 desired (first at 03:00:09.000)' });
  t.is(rolloutDone(c.record, NODES, '3.0.0').state, 'failed', 'a version never published is never done');
});

test('two nodes out of service at once fail one-at-a-time, naming both, what each did and since when', (t) => {
  const c = new Cluster('1.0.0', 1);
  c.publish('2.0.0');
  c.play([...NODES.map((n) => installed(n, '2.0.0')), ...goesDown('node1', '1.0.0', '2.0.0', 1), ...goesDown('node2', '1.0.0', '2.0.0', 1).slice(0, 4)]);
  t.deepEqual(oneAtATime(c.record), {
    ok: false,
    problem: 'node1 and node2 were out of service at once at 03:00:13.000: node1 cordoned, reboot-ok, reboot-in-progress since 03:00:07.000; node2 reboot-ok since 03:00:13.000',
  });
});

test('a budget that loses a pod it needed fails budget-kept, with the node that was out of service', (t) => {
  const c = new Cluster('1.0.0', 1);
  c.publish('2.0.0');
  // node1's drain evicts one pod, then its pod on node2 dies too (an involuntary disruption).
  c.play([installed('node1', '2.0.0'), ...goesDown('node1', '1.0.0', '2.0.0', 1), { budget: { currentHealthy: 1, desiredHealthy: 2, disruptionsAllowed: 0 } }]);
  t.deepEqual(budgetKept(c.record, BUDGET), {
    ok: false,
    problem: 'PodDisruptionBudget rollout-workload/web broken at 03:00:09.000: 1 healthy of 2 desired, while node1 cordoned, reboot-ok, reboot-in-progress since 03:00:05.000',
  });
  t.regex((budgetKept(c.record, 'default/other') as { problem: string }).problem, /default\/other never had its desired pods healthy while watched \(last: "not seen"\)/);
});

test('a node that reboots twice, or fails its update, ends the wait for rollout-done at once', (t) => {
  const twice = new Cluster('1.0.0', 1);
  twice.publish('2.0.0');
  twice.play([...goodRollout(['node1'], '1.0.0', '2.0.0'), { node: 'node1', status: { ready: 'True', bootID: bootId('node1', 3) } }]);
  t.deepEqual(rolloutDone(twice.record, NODES, '2.0.0'), { state: 'failed', problem: 'node1 rebooted 2 times since 2.0.0 was published at 03:00:01.000: new boot ids at 03:00:09.000, 03:00:16.000' });

  const failed = new Cluster('2.0.0', 2);
  failed.publish('3.0.0');
  failed.play(failedUpdate(NODES, '2.0.0', '3.0.0', 2));
  const done = rolloutDone(failed.record, NODES, '3.0.0');
  t.is(done.state, 'failed');
  t.regex((done as { problem: string }).problem, /^node1 failed its update to 3\.0\.0: the guard marked it update-failed at 03:00:14\.000 \(node1 on 2\.0\.0 \(IDLE\), rebooted at 03:00:11\.000, cordoned, reboot-ok, after-reboot\)$/);
});

test('a failed update: paused once the first node is marked and every other node paused for it', (t) => {
  const c = new Cluster('2.0.0', 2);
  c.publish('3.0.0');
  const steps = failedUpdate(NODES, '2.0.0', '3.0.0', 2);
  c.play(steps.slice(0, -2));
  t.deepEqual(rolloutPaused(c.record, NODES, '3.0.0'), {
    state: 'pending',
    now: 'node1 failed 3.0.0; not paused for it yet: node2, node3 (node1 on 2.0.0 (IDLE), rebooted at 03:00:11.000, cordoned, reboot-ok, after-reboot; node2 on 2.0.0 (UPDATED_NEED_REBOOT), not rebooted; node3 on 2.0.0 (UPDATED_NEED_REBOOT), not rebooted)',
  });
  c.play(steps.slice(-2));
  t.deepEqual(rolloutPaused(c.record, NODES, '3.0.0'), {
    state: 'done',
    finding: 'node1 failed 3.0.0: back on 2.0.0 after rebooting at 03:00:11.000, marked update-failed at 03:00:14.000; paused for it: node2 at 03:00:15.000, node3 at 03:00:16.000; no other node took 3.0.0',
  });
  t.true(oneAtATime(c.record).ok);
  t.true(budgetKept(c.record, BUDGET).ok, 'the failed node keeps its slot and its pod stays away: 2 of 2');
});

test('a second node that takes the bad release, or one that boots it, ends the wait for rollout-paused at once', (t) => {
  const second = new Cluster('2.0.0', 2);
  second.publish('3.0.0');
  second.play([...NODES.map((n) => installed(n, '3.0.0')), ...goesDown('node1', '2.0.0', '3.0.0', 2), ...comesBack('node1', '2.0.0', 2), ...released('node1'), ...goesDown('node2', '2.0.0', '3.0.0', 2)]);
  t.deepEqual(rolloutPaused(second.record, NODES, '3.0.0'), { state: 'failed', problem: 'a second node took 3.0.0: node2 got reboot-ok at 03:00:20.000, after node1 at 03:00:07.000' });

  const booted = new Cluster('2.0.0', 2);
  booted.publish('3.0.0');
  booted.play([installed('node1', '3.0.0'), ...goesDown('node1', '2.0.0', '3.0.0', 2), ...comesBack('node1', '3.0.0', 2)]);
  t.deepEqual(rolloutPaused(booted.record, NODES, '3.0.0'), { state: 'failed', problem: 'node1 booted 3.0.0 at 03:00:10.000, which was to fail' });
});

test('workload-answered: within the budget or not, each outage named with the nodes out of service when it began', (t) => {
  const c = new Cluster('1.0.0', 1);
  c.publish('2.0.0');
  c.play([installed('node1', '2.0.0'), ...goesDown('node1', '1.0.0', '2.0.0', 1)]);
  const outage = [c.at - 500, c.at + 1500, c.at + 3500];
  t.deepEqual(workloadAnswered(100, [], 0.01, 4000, c.record), { ok: true, finding: 'all 100 probes answered' });
  t.deepEqual(workloadAnswered(300, outage, 0.01, 4000, c.record), {
    ok: true,
    finding: '3 of 300 probes failed (1.0%, budget 1.0%): no node answered 03:00:07.500-03:00:11.500 (3 probes, while node1 cordoned, reboot-ok, reboot-in-progress since 03:00:05.000)',
  });
  const v = workloadAnswered(100, [T0 + 500, ...outage], 0.01, 4000, c.record);
  t.false(v.ok);
  t.is((v as { problem: string }).problem, '4 of 100 probes failed (4.0%, budget 1.0%): no node answered 03:00:00.500-03:00:00.500 (1 probes, no node out of service); 03:00:07.500-03:00:11.500 (3 probes, while node1 cordoned, reboot-ok, reboot-in-progress since 03:00:05.000)');
  t.deepEqual(workloadAnswered(0, [], 0.01, 4000), { ok: false, problem: 'the workload was never probed' });
});
