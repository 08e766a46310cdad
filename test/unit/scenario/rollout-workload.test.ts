import test from 'ava';
import { workloadObjects, type WorkloadOptions } from '../../../src/scenario/rollout-workload.js';

const BASE: WorkloadOptions = { replicas: 2, minAvailable: 1, image: 'metal-lab.local/busybox:1', budgetApiVersion: 'policy/v1beta1', probeTimeoutS: 1 };

type PodSpec = { affinity: Record<string, unknown>; tolerations: Array<Record<string, unknown>> };
const podSpec = (o: WorkloadOptions) => {
  const deployment = workloadObjects(o).find((obj) => obj.kind === 'Deployment') as unknown as { spec: { template: { spec: PodSpec } } };
  return deployment.spec.template.spec;
};

test('by default: one pod per node anywhere, the controllers tolerated, and a lost node held for Kubernetes\' 300 s', (t) => {
  const spec = podSpec(BASE);
  t.deepEqual(Object.keys(spec.affinity), ['podAntiAffinity']);
  t.deepEqual(spec.tolerations.map((x) => `${x.key}:${x.effect}`), ['node-role.kubernetes.io/master:NoSchedule', 'node-role.kubernetes.io/control-plane:NoSchedule']);
});

test('nodes: preferred, not required, so the pods can leave those nodes when they fail', (t) => {
  const { affinity } = podSpec({ ...BASE, nodes: ['node2', 'node3'] });
  t.deepEqual(affinity.nodeAffinity, {
    preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node2', 'node3'] }] } }],
  });
  t.truthy(affinity.podAntiAffinity, 'still one pod per node');
});

test('evictAfterS: the taints of a node that stopped reporting, tolerated that long', (t) => {
  const { tolerations } = podSpec({ ...BASE, evictAfterS: 30 });
  t.deepEqual(tolerations.slice(2), [
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
  ]);
});
