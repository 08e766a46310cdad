import { stepResults, type TimelineEvent } from '../../src/report/timeline.js';
import { artifactsDir, assertNothingLeft, ownLab, readTimeline, runInTest } from '../e2e/helpers.js';
import { libvirtd, needs, virsh } from '../support/needs.js';
import { takingTurns } from '../support/taking-turns.js';

// The talk's highly available control plane (scenarios/ha.yaml, lab/ha.yaml: 3 controllers and a
// worker, one API name): the pivot puts an apiserver on every controller; with the bootkube
// controller powered off, and with a controller partitioned away, the API still answers through
// its name and etcd keeps its quorum. This test reads the findings back from the run's timeline.

const e2e = needs(virsh, libvirtd);

e2e('ha on lab/ha.yaml: an apiserver on every controller, the API up through its name with a controller off or cut off', async (t) => {
  t.timeout(150 * 60_000);
  const dir = await artifactsDir(t, 'metal-lab-e2e-ha-');
  await ownLab(t, 'ha');
  const r = await takingTurns(() => runInTest(t, ['ha', '--artifacts', dir, '--json']));
  t.is(r.exitCode, 0);
  const timeline = await readTimeline(dir);
  t.true(timeline.ok);
  const steps = stepResults(timeline.events as TimelineEvent[]).filter((s) => s.outcome === 'ok');
  const ok = (step: string, node?: string) => steps.filter((s) => s.step === step && s.node === node).map((s) => s.message ?? '');
  t.log(steps.map((s) => `${s.step}${s.node ? ` ${s.node}` : ''} (${((s.endMs - s.startMs) / 1000).toFixed(1)}s): ${s.message ?? ''}`).join('\n'));

  // One name for three controllers, answering through the host's front door at every turn.
  const byName = ok('api-name');
  t.is(byName.length, 3, 'after the pivot, with node1 off, with node3 cut off');
  for (const line of byName) t.regex(line, /^cluster\.example\.com resolves to 172\.27\.0\.21, 172\.27\.0\.22, 172\.27\.0\.23; \/readyz ok through the front door https:\/\/172\.27\.0\.1:6443/);
  t.regex(ok('self-hosted')[0] ?? '', /kube-apiserver on every controller: node1, node2, node3/);
  t.is(ok('etcd-members').length, 2);

  // node1 off: etcd on the other two; back on: its own apiserver answers again, the plane whole.
  t.is(ok('power off', 'node1')[0], 'plug pulled (virsh destroy)');
  t.regex(ok('reached api-answers', 'node1')[0] ?? '', /^https:\/\/172\.27\.0\.21:6443\/readyz ok/);
  t.regex(ok('self-hosted')[1] ?? '', /kube-apiserver on every controller: node1, node2, node3/);

  // node3 partitioned away: node1 and node2 keep etcd healthy and answer the API.
  for (const node of ['node1', 'node2']) t.regex(ok('api-answers', node).at(-1) ?? '', /readyz ok/);
  t.regex(ok('reached etcd-health', 'node3').at(-1) ?? '', /healthy/);
  await assertNothingLeft(t, 'ha');
});
