import { stepResults, type TimelineEvent } from '../../src/report/timeline.js';
import { assertNothingLeft, runOwnScenario } from '../e2e/helpers.js';
import { libvirtd, needs, virsh } from '../support/needs.js';

// The fault matrix on the bootkube cluster (scenarios/faults-kubernetes.yaml, lab/update.yaml,
// from the bootstrap scenario's snapshot when there is one): etcd killed and the API back, the
// controller's kubelet and a worker's containerd killed and restarted, a worker's link cut and
// its pod rescheduled. Each step checks its own recovery; this test reads the findings back.

const e2e = needs(virsh, libvirtd);

e2e('faults on lab/update.yaml: the API comes back, kubelet and containerd restart, a lost worker\'s pod is rescheduled', async (t) => {
  t.timeout(150 * 60_000);
  const { timeline } = await runOwnScenario(t, 'faults-kubernetes', 'update');
  const steps = stepResults(timeline.events as TimelineEvent[]).filter((s) => s.outcome === 'ok');
  const ok = (step: string, node?: string) => steps.filter((s) => s.step === step && s.node === node).map((s) => s.message ?? '');
  // Every step after the cluster is up, with what it found and how long it took, for the record of the run.
  const from = steps.findIndex((s) => s.step === 'workload');
  t.log(steps.slice(from).map((s) => `${s.step}${s.node ? ` ${s.node}` : ''} (${((s.endMs - s.startMs) / 1000).toFixed(1)}s): ${s.message ?? ''}`).join('\n'));

  // The pods start where the scenario placed them, leaving node1 free to take one.
  t.regex(ok('workload')[0] ?? '', /Running@node2/);
  t.regex(ok('workload')[0] ?? '', /Running@node3/);
  t.regex(ok('workload-ready')[0] ?? '', /^2 of 2 pods Ready on nodes of their own/);

  t.regex(ok('kill etcd', 'node1')[0] ?? '', /^etcd SIGKILLed \(pid \d+\); .*active again as pid \d+ after [\d.]+s, healthy after [\d.]+s$/);
  t.regex(ok('reached api-answers', 'node1')[0] ?? '', /^https:\/\/172\.25\.0\.21:6443\/readyz ok, within \d+s limit$/);
  t.regex(ok('kill kubelet', 'node1')[0] ?? '', /^kubelet SIGKILLed \(pid \d+\); .*active again as pid \d+/);
  t.regex(ok('api-answers', 'node1')[0] ?? '', /readyz ok/);
  t.regex(ok('kill containerd', 'node2')[0] ?? '', /^containerd SIGKILLed \(pid \d+\); .*active again as pid \d+/);
  t.is(ok('self-hosted').length, 3, 'the plane whole after the pivot, after etcd came back, after the kubelet did');

  // node2 cut off: its pod moved to node1, and the workload answered the host throughout.
  t.regex(ok('link down', 'node2')[0] ?? '', /SSH no longer connects/);
  const moved = ok('reached workload-ready')[0] ?? '';
  // node2's old pod is evicted (being deleted) by then, or at least not counted, its node cut off.
  t.regex(moved, /^2 of 2 pods Ready on nodes of their own: .*Running@node1.*; not counted: \S+ Running@node2 \((deleting|node2 cut off)\)/);
  t.regex(ok('link up', 'node2')[0] ?? '', /SSH answered again after [\d.]+s/);
  t.regex(ok('workload-answered')[0] ?? '', /^(all \d+ probes answered|\d+ of \d+ probes failed)/);
  await assertNothingLeft(t, 'update');
});
