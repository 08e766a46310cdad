import { AppsV1Api, AuthorizationV1Api } from '@kubernetes/client-node';
import { createObjects, loadKubeconfig } from '../../../../src/kube/client.js';
import { updateOperatorObjects } from '../../../../src/render/update-operator/index.js';
import { AGENT_SERVICE_ACCOUNT, NAMESPACE, OPERATOR_SERVICE_ACCOUNT } from '../../../../src/render/update-operator/rbac.js';
import { ENVTEST_NEEDS, startEnvtest } from '../../../support/envtest.js';
import { needs } from '../../../support/needs.js';

const LOCK = 'flatcar-linux-update-operator-lock';

// A real kube-apiserver 1.20 creates every object of the update operator in order (so each
// namespaced one finds its namespace), and its RBAC answers what FLUO's agent and operator do
// (update-operator.md §1.3-1.4): a wrong verb or resource here would stall a rollout on the nodes.
needs(...ENVTEST_NEEDS)("a real kube-apiserver creates the update operator's objects, and its RBAC allows what FLUO does", async (t) => {
  const env = await startEnvtest();
  t.teardown(() => env.stop());
  const kc = loadKubeconfig(env.kubeconfig);
  const objects = updateOperatorObjects({ channel: 'stable', beforeRebootAnnotations: ['metal-lab.dev/guard-before'], afterRebootAnnotations: [], rebootWindow: { start: 'Mon 14:00', length: '1h30m' } });
  const results = await createObjects(kc, objects);
  t.deepEqual(results.map((r) => r.outcome), objects.map(() => 'created'), JSON.stringify(results));

  const apps = kc.makeApiClient(AppsV1Api);
  const agent = await apps.readNamespacedDaemonSet({ name: 'flatcar-linux-update-agent', namespace: NAMESPACE });
  t.deepEqual(agent.spec?.template.spec?.volumes?.map((v) => v.hostPath?.path).sort(), ['/etc/flatcar', '/etc/os-release', '/usr/share/flatcar', '/var/run/dbus']);

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
  t.log(`${results.length} objects created by ${env.url}`);
});
