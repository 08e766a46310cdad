import test from 'ava';
import { KubeConfig } from '@kubernetes/client-node';
import { LabError } from '../../../src/errors.js';
import { crossNodePodTraffic, trafficDeployment } from '../../../src/kube/health.js';

test('the traffic Deployment puts one busybox httpd on each named node, controllers included', (t) => {
  const d = trafficDeployment({ namespace: 'lab-traffic', nodes: ['c1', 'w1'], busyboxTag: '1.35.0-4' }, 'u1');
  const pod = d.spec!.template.spec!;
  // One check's pods: an earlier check's, still Running, neither match nor repel them.
  t.deepEqual(d.spec!.selector.matchLabels, { app: 'metal-lab-traffic', use: 'u1' });
  t.deepEqual(d.spec!.template.metadata!.labels, { app: 'metal-lab-traffic', use: 'u1' });
  t.deepEqual(pod.affinity!.podAntiAffinity!.requiredDuringSchedulingIgnoredDuringExecution![0]!.labelSelector, { matchLabels: { app: 'metal-lab-traffic', use: 'u1' } });
  t.is(d.spec!.replicas, 2);
  t.is(pod.containers[0]!.image, 'metal-lab.local/busybox:1.35.0-4');
  t.is(pod.containers[0]!.imagePullPolicy, 'Never');
  t.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
  t.is(pod.affinity!.podAntiAffinity!.requiredDuringSchedulingIgnoredDuringExecution![0]!.topologyKey, 'kubernetes.io/hostname');
  t.deepEqual(pod.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0]!.matchExpressions![0]!.values, ['c1', 'w1']);
});

test('crossNodePodTraffic refuses fewer than two nodes before touching the API', async (t) => {
  const nowhere = new KubeConfig();
  nowhere.loadFromClusterAndUser({ name: 'none', server: 'https://127.0.0.1:1', skipTLSVerify: false }, { name: 'none' });
  const err = await t.throwsAsync(crossNodePodTraffic(nowhere, { namespace: 'x', nodes: ['c1'], busyboxTag: 't' }), { instanceOf: LabError });
  t.regex(err.message, /needs at least two nodes/);
});
