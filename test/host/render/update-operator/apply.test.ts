import { AppsV1Api, AuthorizationV1Api } from '@kubernetes/client-node';
import { createObjects, loadKubeconfig } from '../../../../src/kube/client.js';
import { updateOperatorObjects } from '../../../../src/render/update-operator/index.js';
import { GUARD } from '../../../../src/render/update-operator/guard.js';
import { EVENT_NAMESPACE } from '../../../../src/render/update-operator/guard-contract.js';
import { AGENT_SERVICE_ACCOUNT, NAMESPACE, OPERATOR_SERVICE_ACCOUNT } from '../../../../src/render/update-operator/rbac.js';
import { ENVTEST_NEEDS, startEnvtest } from '../../../support/envtest.js';
import { needs } from '../../../support/needs.js';

const LOCK = 'flatcar-linux-update-operator-lock';

// A real kube-apiserver 1.20 creates every object of the update operator in order (so each
// namespaced one finds its namespace), and its RBAC answers what FLUO's agent and operator do
// (update-operator.md §1.3-1.4) and what the rollout guard calls (src/guard/read-state.ts,
// apply.ts): a wrong verb or resource here would stall a rollout on the nodes.
needs(...ENVTEST_NEEDS)("a real kube-apiserver creates the update operator's objects, and its RBAC allows what FLUO and the guard do, no more", async (t) => {
  const env = await startEnvtest();
  t.teardown(() => env.stop());
  const kc = loadKubeconfig(env.kubeconfig);
  const objects = updateOperatorObjects({ channel: 'stable', beforeRebootAnnotations: ['metal-lab.dev/guard-before'], afterRebootAnnotations: [], rebootWindow: { start: 'Mon 14:00', length: '1h30m' } });
  const results = await createObjects(kc, objects);
  t.deepEqual(results.map((r) => r.outcome), objects.map(() => 'created'), JSON.stringify(results));

  const apps = kc.makeApiClient(AppsV1Api);
  const agent = await apps.readNamespacedDaemonSet({ name: 'flatcar-linux-update-agent', namespace: NAMESPACE });
  t.deepEqual(agent.spec?.template.spec?.volumes?.map((v) => v.hostPath?.path).sort(), ['/etc/flatcar', '/etc/os-release', '/usr/share/flatcar', '/var/run/dbus']);
  const guard = await apps.readNamespacedDeployment({ name: GUARD, namespace: NAMESPACE });
  t.is(guard.spec?.replicas, 1);
  t.is(guard.spec?.strategy?.type, 'Recreate');
  const operator = await apps.readNamespacedDeployment({ name: 'flatcar-linux-update-operator', namespace: NAMESPACE });
  t.true(operator.spec?.template.spec?.containers[0]?.command?.includes('--before-reboot-annotations=metal-lab.dev/rollout-guard.before-reboot,metal-lab.dev/guard-before'));

  const authz = kc.makeApiClient(AuthorizationV1Api);
  const may = async (sa: string, attrs: { verb: string; resource: string; subresource?: string; group?: string; namespace?: string; name?: string }) =>
    (await authz.createSubjectAccessReview({ body: { spec: { user: `system:serviceaccount:${NAMESPACE}:${sa}`, resourceAttributes: attrs } } })).status?.allowed === true;

  const agentDoes = [
    { verb: 'update', resource: 'nodes' },
    { verb: 'watch', resource: 'nodes' },
    { verb: 'list', resource: 'pods', namespace: 'default' },
    { verb: 'create', resource: 'pods', subresource: 'eviction', namespace: 'default' },
    { verb: 'get', resource: 'daemonsets', group: 'apps', namespace: 'default' },
  ];
  for (const attrs of agentDoes) t.true(await may(AGENT_SERVICE_ACCOUNT, attrs), `agent: ${JSON.stringify(attrs)}`);
  const operatorDoes = [
    { verb: 'update', resource: 'nodes' },
    { verb: 'list', resource: 'nodes' },
    // Leader election on FLUO's ConfigMapsLeases lock: both objects, this name only.
    { verb: 'create', resource: 'leases', group: 'coordination.k8s.io', namespace: NAMESPACE },
    { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: NAMESPACE, name: LOCK },
    { verb: 'get', resource: 'configmaps', namespace: NAMESPACE, name: LOCK },
    { verb: 'update', resource: 'configmaps', namespace: NAMESPACE, name: LOCK },
    { verb: 'create', resource: 'events', namespace: NAMESPACE },
  ];
  for (const attrs of operatorDoes) t.true(await may(OPERATOR_SERVICE_ACCOUNT, attrs), `operator: ${JSON.stringify(attrs)}`);
  // Least privilege holds: the agent may not delete nodes, the operator may not evict pods or
  // take over another lock.
  t.false(await may(AGENT_SERVICE_ACCOUNT, { verb: 'delete', resource: 'nodes' }));
  t.false(await may(OPERATOR_SERVICE_ACCOUNT, { verb: 'update', resource: 'leases', group: 'coordination.k8s.io', namespace: NAMESPACE, name: 'kube-scheduler' }));
  t.false(await may(OPERATOR_SERVICE_ACCOUNT, { verb: 'create', resource: 'pods', subresource: 'eviction', namespace: 'default' }));

  // The guard: each call it makes. Pods and budgets are listed across namespaces (no namespace).
  const guardDoes = [
    { verb: 'list', resource: 'nodes' },
    { verb: 'patch', resource: 'nodes', name: 'node1' },
    { verb: 'patch', resource: 'nodes', subresource: 'status', name: 'node1' },
    { verb: 'list', resource: 'pods' },
    // Its own drain before it lets a node go (FLUO#188).
    { verb: 'create', resource: 'pods', subresource: 'eviction', namespace: 'default' },
    { verb: 'list', resource: 'poddisruptionbudgets', group: 'policy' },
    { verb: 'create', resource: 'events', namespace: EVENT_NAMESPACE },
  ];
  for (const attrs of guardDoes) t.true(await may(GUARD, attrs), `guard: ${JSON.stringify(attrs)}`);
  // Discovery, to pick the budgets' version: every authenticated user's (system:discovery).
  const discovery = await authz.createSubjectAccessReview({ body: { spec: { user: `system:serviceaccount:${NAMESPACE}:${GUARD}`, groups: ['system:authenticated', 'system:serviceaccounts'], nonResourceAttributes: { verb: 'get', path: '/apis/policy' } } } });
  t.true(discovery.status?.allowed, JSON.stringify(discovery.status));
  // And nothing it does not do: FLUO's update of nodes, deleting pods or nodes, Events elsewhere, secrets.
  const guardDoesNot = [
    { verb: 'update', resource: 'nodes', name: 'node1' },
    { verb: 'delete', resource: 'nodes', name: 'node1' },
    { verb: 'delete', resource: 'pods', namespace: 'default' },
    { verb: 'create', resource: 'events', namespace: NAMESPACE },
    { verb: 'get', resource: 'secrets', namespace: NAMESPACE },
    { verb: 'create', resource: 'poddisruptionbudgets', group: 'policy', namespace: 'default' },
  ];
  for (const attrs of guardDoesNot) t.false(await may(GUARD, attrs), `guard: ${JSON.stringify(attrs)}`);
  t.log(`${results.length} objects created by ${env.url}`);
});
