import test from 'ava';
import { parse } from 'yaml';
import { FLUO_VERSION } from '../../../../src/ground/cluster.js';
import type { UpdatesSpec } from '../../../../src/ground/lab-spec.js';
import { fluoImageSpec } from '../../../../src/images/oci/fluo-image.js';
import type { ApiObject } from '../../../../src/kube/client.js';
import type { KubeObject } from '../../../../src/render/bootkube/index.js';
import { OPERATOR_HOOK_FLAGS } from '../../../../src/guard/keys.js';
import { operatorFlags } from '../../../../src/render/update-operator/operator.js';
import { renderUpdateOperator, updateOperatorObjects } from '../../../../src/render/update-operator/index.js';
import { parseLab } from '../../../../src/spec/lab.js';
import { GOLDEN_LAB_YAML } from '../../../support/bootkube-fixture.js';
import { matchesGoldenDir } from '../../../support/golden-dir.js';

/** The bootkube golden lab with an updates: block, through the loader as a user's file goes. */
const updatesOf = (block: string): UpdatesSpec => parseLab(`${GOLDEN_LAB_YAML}kubernetes: {}\n${block}`, 'golden.yaml').updates!;

const HOOKS_AND_WINDOW = updatesOf(`updates:
  channel: beta
  rebootWindow: { start: "Sat 02:00", length: 2h30m }
  beforeRebootAnnotations: [example.com/drained, example.com/backed-up]
  afterRebootAnnotations: [flatcar-linux-update.v1.flatcar-linux.net/after-reboot-test]
`);
const DEFAULTS = updatesOf('updates: {}\n');

type Container = { name: string; image: string; imagePullPolicy: string; command: string[]; env: { name: string; valueFrom: { fieldRef: { fieldPath: string } } }[] };
type PodSpec = { serviceAccountName: string; containers: Container[]; tolerations: object[]; volumes?: { name: string; hostPath: { path: string } }[] };
const podSpec = (obj: KubeObject) => (obj.spec as { template: { spec: PodSpec } }).template.spec;
const byKind = (objects: KubeObject[], kind: string) => objects.filter((o) => o.kind === kind);
const workload = (kind: 'Deployment' | 'DaemonSet', name: string, u = HOOKS_AND_WINDOW) => {
  const obj = byKind(updateOperatorObjects(u), kind).find((o) => o.metadata.name === name);
  if (!obj) throw new Error(`no ${kind} ${name}`);
  return obj;
};
const OPERATOR = 'flatcar-linux-update-operator';
const AGENT = 'flatcar-linux-update-agent';

test('the manifests with a window and hooks, and with the defaults, match test/golden/update-operator', async (t) => {
  const files = new Map([...renderUpdateOperator(HOOKS_AND_WINDOW, 'window-and-hooks'), ...renderUpdateOperator(DEFAULTS, 'defaults')]);
  await matchesGoldenDir(t, 'update-operator', files, import.meta.url);
});

test('the files are the objects, one a file, and their names sort in creation order', (t) => {
  const objects = updateOperatorObjects(HOOKS_AND_WINDOW);
  const files = renderUpdateOperator(HOOKS_AND_WINDOW, 'update-operator');
  t.deepEqual([...files.values()].map((text) => parse(text) as KubeObject), objects);
  t.deepEqual([...files.keys()], [...files.keys()].sort());
  t.deepEqual(objects.map((o) => `${o.kind}/${o.metadata.name}`), [
    'Namespace/reboot-coordinator',
    'ServiceAccount/flatcar-linux-update-agent',
    'ServiceAccount/flatcar-linux-update-operator-sa',
    'ServiceAccount/rollout-guard',
    'ClusterRole/flatcar-linux-update-agent',
    'ClusterRole/flatcar-linux-update-operator',
    'Role/flatcar-linux-update-operator',
    'ClusterRole/rollout-guard',
    'Role/rollout-guard',
    'ClusterRoleBinding/flatcar-linux-update-agent',
    'ClusterRoleBinding/flatcar-linux-update-operator',
    'RoleBinding/flatcar-linux-update-operator',
    'ClusterRoleBinding/rollout-guard',
    'RoleBinding/rollout-guard',
    'DaemonSet/flatcar-linux-update-agent',
    'Deployment/flatcar-linux-update-operator',
    'Deployment/rollout-guard',
  ]);
  for (const o of objects) {
    const where = `${o.kind}/${o.metadata.name}`;
    if (o.kind === 'Namespace' || o.kind.startsWith('Cluster')) t.is(o.metadata.namespace, undefined, where);
    // The guard's Events go where a kubelet's do, so it may create them there alone.
    else if (o.kind.startsWith('Role') && o.metadata.name === 'rollout-guard') t.is(o.metadata.namespace, 'default', where);
    else t.is(o.metadata.namespace, 'reboot-coordinator', where);
  }
  // What createObjects takes, as they are: a type error here breaks the apply step's caller.
  const api: ApiObject[] = objects;
  t.is(api.length, 17);
});

test('APIs that Kubernetes 1.20 serves: core v1, apps/v1, rbac.authorization.k8s.io/v1', (t) => {
  const versions = new Set(updateOperatorObjects(HOOKS_AND_WINDOW).map((o) => `${o.apiVersion} ${o.kind}`));
  t.deepEqual([...versions].sort(), [
    'apps/v1 DaemonSet', 'apps/v1 Deployment',
    'rbac.authorization.k8s.io/v1 ClusterRole', 'rbac.authorization.k8s.io/v1 ClusterRoleBinding',
    'rbac.authorization.k8s.io/v1 Role', 'rbac.authorization.k8s.io/v1 RoleBinding',
    'v1 Namespace', 'v1 ServiceAccount',
  ]);
});

test("FLUO's containers run the image `metal-lab build fluo` packages, never pulled, a binary that image holds", (t) => {
  const spec = fluoImageSpec({ binDir: '/cache/fluo/k/bin', version: FLUO_VERSION });
  t.is(spec.ref, 'metal-lab.local/flatcar-linux-update-operator:v0.9.0');
  const layer = spec.layers[0]!;
  const inImage = new Set(('entries' in layer ? layer.entries : []).map((e) => `/${e.path}`));
  for (const u of [HOOKS_AND_WINDOW, DEFAULTS]) {
    const containers = updateOperatorObjects(u).flatMap((o) => (o.spec && 'template' in (o.spec as object) && o.metadata.name !== 'rollout-guard' ? podSpec(o).containers : []));
    t.is(containers.length, 2);
    for (const c of containers) {
      t.is(c.image, spec.ref, c.name);
      t.is(c.imagePullPolicy, 'Never', c.name);
      t.true(inImage.has(c.command[0]!), `${c.command[0]} is not in the image`);
    }
  }
  t.deepEqual(podSpec(workload('DaemonSet', AGENT)).containers[0]!.command, spec.config.entrypoint, "the agent runs as the image's entrypoint");
});

test("the operator's flags: the lab's window, and the guard's hooks first in the same flag as the lab's own", (t) => {
  t.deepEqual(operatorFlags(HOOKS_AND_WINDOW), [
    '--reboot-window-start=Sat 02:00',
    '--reboot-window-length=2h30m',
    // FLUO keeps only the last of two flags of a name: one flag each, comma-joined.
    '--before-reboot-annotations=metal-lab.dev/rollout-guard.before-reboot,example.com/drained,example.com/backed-up',
    '--after-reboot-annotations=metal-lab.dev/rollout-guard.after-reboot,flatcar-linux-update.v1.flatcar-linux.net/after-reboot-test',
  ]);
  // Without a window or hooks of the lab's: exactly the flags the guard asks the operator to run with.
  t.deepEqual(operatorFlags(DEFAULTS), OPERATOR_HOOK_FLAGS);
  t.deepEqual(operatorFlags({ ...DEFAULTS, afterRebootAnnotations: ['example.com/healthy'] }), [
    OPERATOR_HOOK_FLAGS[0],
    '--after-reboot-annotations=metal-lab.dev/rollout-guard.after-reboot,example.com/healthy',
  ]);
  t.deepEqual(podSpec(workload('Deployment', OPERATOR)).containers[0]!.command, ['/bin/update-operator', ...operatorFlags(HOOKS_AND_WINDOW)]);
  t.deepEqual(podSpec(workload('Deployment', OPERATOR, DEFAULTS)).containers[0]!.command, ['/bin/update-operator', ...OPERATOR_HOOK_FLAGS]);
});

test('the operator: one replica, its namespace from the downward API, allowed onto controllers', (t) => {
  const deployment = workload('Deployment', OPERATOR);
  t.is((deployment.spec as { replicas: number }).replicas, 1);
  const pod = podSpec(deployment);
  t.is(pod.serviceAccountName, 'flatcar-linux-update-operator-sa');
  t.deepEqual(pod.containers[0]!.env, [{ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }]);
  t.deepEqual(pod.tolerations, [
    { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
  ]);
});

test("the agent: on every node as root, told its node's name, with upstream's host mounts", (t) => {
  const pod = podSpec(workload('DaemonSet', AGENT));
  const [agent] = pod.containers as (Container & { securityContext: object; volumeMounts: { name: string; mountPath: string; readOnly: boolean }[] })[];
  t.is(pod.serviceAccountName, 'flatcar-linux-update-agent');
  t.deepEqual(agent!.env, [{ name: 'UPDATE_AGENT_NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }]);
  t.deepEqual(agent!.securityContext, { runAsUser: 0 });
  t.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
  t.deepEqual(agent!.volumeMounts.map((m) => `${m.mountPath} ${m.readOnly ? 'ro' : 'rw'}`), [
    '/var/run/dbus rw', '/etc/flatcar ro', '/usr/share/flatcar ro', '/etc/os-release ro',
  ]);
  // Each mount is the same path of the host.
  const volumes = new Map(pod.volumes!.map((v) => [v.name, v.hostPath.path]));
  for (const m of agent!.volumeMounts) t.is(volumes.get(m.name), m.mountPath);
});

test("RBAC: upstream's for the agent (drains through evictions) and the operator (marks nodes, holds its lock); the guard's, its calls alone", (t) => {
  const objects = updateOperatorObjects(DEFAULTS);
  const rules = (kind: string, name: string) => (objects.find((o) => o.kind === kind && o.metadata.name === name)!.rules as { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }[])
    .map((r) => `${r.apiGroups.join(',') || 'core'} ${r.resources.join(',')} ${r.verbs.join(',')}${r.resourceNames ? ` [${r.resourceNames.join(',')}]` : ''}`);
  t.deepEqual(rules('ClusterRole', 'flatcar-linux-update-agent'), [
    'core nodes get,list,watch,update',
    'core pods get,list,delete',
    'core pods/eviction create',
    'apps daemonsets get',
  ]);
  t.deepEqual(rules('ClusterRole', 'flatcar-linux-update-operator'), ['core nodes get,list,watch,update']);
  t.deepEqual(rules('Role', 'flatcar-linux-update-operator'), [
    'core configmaps create',
    'core configmaps get,update [flatcar-linux-update-operator-lock]',
    'core events create,watch',
    'coordination.k8s.io leases create',
    'coordination.k8s.io leases get,update [flatcar-linux-update-operator-lock]',
  ]);
  // The guard's: one rule per API call it makes (read-state.ts, apply.ts), Events where a kubelet's go.
  t.deepEqual(rules('ClusterRole', 'rollout-guard'), ['core nodes list,patch', 'core nodes/status patch', 'core pods list', 'core pods/eviction create', 'policy poddisruptionbudgets list']);
  t.deepEqual(rules('Role', 'rollout-guard'), ['core events create']);
  // Each binding names a role of this render and a ServiceAccount of this render, in FLUO's namespace.
  const names = new Set(objects.map((o) => `${o.kind}/${o.metadata.name}`));
  for (const b of objects.filter((o) => o.kind.endsWith('Binding'))) {
    const { roleRef, subjects } = b as unknown as { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace: string }[] };
    t.true(names.has(`${roleRef.kind}/${roleRef.name}`), `${b.kind}/${b.metadata.name}`);
    for (const s of subjects) {
      t.true(names.has(`ServiceAccount/${s.name}`));
      t.is(s.namespace, 'reboot-coordinator');
    }
  }
});

test('the guard: exactly one, never beside another, of its own image, exempting its namespace, allowed onto controllers and cordoned nodes', (t) => {
  const deployment = workload('Deployment', 'rollout-guard', DEFAULTS);
  t.like(deployment.spec, { replicas: 1, strategy: { type: 'Recreate' } });
  const pod = podSpec(deployment);
  t.is(pod.serviceAccountName, 'rollout-guard');
  const [guard] = pod.containers as (Container & { args: string[]; securityContext: object })[];
  t.is(guard!.image, 'metal-lab.local/rollout-guard:v0.1.0');
  t.is(guard!.imagePullPolicy, 'Never');
  // The image's entrypoint runs the guard; in-cluster, so no --kubeconfig.
  t.false('command' in guard!);
  t.deepEqual(guard!.args, ['--namespace', 'reboot-coordinator']);
  t.like(guard!.securityContext, { runAsUser: 65534, runAsNonRoot: true });
  t.deepEqual(pod.tolerations, [
    { key: 'node-role.kubernetes.io/master', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ]);
  // The same with the lab's hooks and window: only the operator's flags depend on them.
  t.deepEqual(workload('Deployment', 'rollout-guard', HOOKS_AND_WINDOW), deployment);
});

test('the render is pure', (t) => {
  t.deepEqual(renderUpdateOperator(HOOKS_AND_WINDOW, 'x'), renderUpdateOperator(HOOKS_AND_WINDOW, 'x'));
});
