import { stepResults, type TimelineEvent } from '../../src/report/timeline.js';
import { assertNothingLeft, runOwnScenario } from '../e2e/helpers.js';
import { libvirtd, needs, virsh } from '../support/needs.js';

// The talk's highly available control plane (scenarios/ha.yaml, lab/ha.yaml: 3 controllers and a
// worker, one API name): the pivot puts an apiserver on every controller; with the bootkube
// controller powered off, and with a controller partitioned away, the API still answers through
// its name and etcd keeps its quorum. The pivot is saved as the lab's snapshot `bootstrapped`,
// which a rerun resumes from. This test reads the findings back from the run's timeline.

const e2e = needs(virsh, libvirtd);

e2e('ha on lab/ha.yaml: an apiserver on every controller, the API up through its name with a controller off or cut off', async (t) => {
  t.timeout(150 * 60_000);
  const { timeline } = await runOwnScenario(t, 'ha', 'ha');
  const steps = stepResults(timeline.events as TimelineEvent[]).filter((s) => s.outcome === 'ok');
  const ok = (step: string, node?: string) => steps.filter((s) => s.step === step && s.node === node).map((s) => s.message ?? '');
  t.log(steps.map((s) => `${s.step}${s.node ? ` ${s.node}` : ''} (${((s.endMs - s.startMs) / 1000).toFixed(1)}s): ${s.message ?? ''}`).join('\n'));

  // One name for three controllers, answering through the host's front door at every turn.
  const byName = ok('api-name');
  t.is(byName.length, 3, 'after the pivot, with node1 off, with node3 cut off');
  for (const line of byName) t.regex(line, /^cluster\.example\.com resolves to 172\.27\.0\.21, 172\.27\.0\.22, 172\.27\.0\.23; \/readyz ok through the front door https:\/\/172\.27\.0\.1:6443/);
  t.regex(ok('self-hosted')[0] ?? '', /kube-apiserver on every controller: node1, node2, node3/);
  const restored = ok('healthy after restore').length;
  t.is(restored + ok('save bootstrapped').length, 1, 'the cluster came from the snapshot, or was made and saved');
  // Three members after the install (unless restored) and again after the partition healed.
  t.is(ok('etcd-members').length, restored ? 1 : 2);
  // The add-ons: routes between the nodes' pod /24s, and cluster DNS from a pod on each node.
  t.regex(ok('pod-network')[0] ?? '', /@node1 -> http:\/\/10\.2\.\d+\.\d+:8080\/ .*@node4\): /);
  for (const node of ['node1', 'node2', 'node3', 'node4']) {
    t.regex(ok('cluster-dns')[0] ?? '', new RegExp(`@${node}: kubernetes\\.default\\.svc\\.cluster\\.local is 10\\.3\\.0\\.1; http://metal-lab-traffic:8080/ answered by metal-lab-traffic-`));
  }

  // node1 off: etcd on the other two; back on: its apiserver pod runs again, the plane whole.
  t.is(ok('power off', 'node1')[0], 'plug pulled (virsh destroy)');
  t.regex(ok('self-hosted')[1] ?? '', /kube-apiserver on every controller: node1, node2, node3/);

  // node3 partitioned away: node1 and node2 keep etcd healthy, and node2's apiserver stays ready
  // (its first ready after the pivot, its second with node1 off, its third here).
  for (const node of ['node1', 'node2']) t.regex(ok('reached etcd-health', node).at(-1) ?? '', /healthy/);
  t.regex(ok('reached api-answers', 'node2')[2] ?? '', /^https:\/\/172\.27\.0\.22:6443\/readyz ok/);
  t.regex(ok('reached etcd-health', 'node3').at(-1) ?? '', /healthy/);

  // node2's and node3's apiservers ready after the pivot; every one ready at the end: node1's after
  // its power-on, node3's after the partition healed.
  for (const node of ['node2', 'node3']) t.regex(ok('reached api-answers', node)[0] ?? '', /readyz ok/);
  for (const node of ['node1', 'node2', 'node3']) {
    t.regex(ok('reached api-answers', node).at(-1) ?? '', new RegExp(`^https://172\\.27\\.0\\.2${node.at(-1)}:6443/readyz ok`));
  }
  t.is(ok('reached api-answers', 'node1').length, 1, 'at the end, after its power-on');
  await assertNothingLeft(t, 'ha');
});
