import test from 'ava';
import { kubeServiceIp } from '../../../src/ground/cluster.js';
import { planCerts, type CertPlan } from '../../../src/pki/plan.js';
import { talkLab } from '../../support/pki-fixture.js';

const byName = (plans: CertPlan[]) => new Map(plans.map((plan) => [plan.name, plan]));

test('the talk lab plans 2 CAs, etcd server+peer per controller, etcd client, apiserver, admin, a kubelet per node', async (t) => {
  const plans = planCerts(await talkLab());
  t.deepEqual(
    plans.map((plan) => plan.name),
    [
      'ca',
      'etcd-ca',
      'etcd/node1-server',
      'etcd/node1-peer',
      'etcd/node2-server',
      'etcd/node2-peer',
      'etcd/node3-server',
      'etcd/node3-peer',
      'etcd/client',
      'apiserver',
      'admin',
      'kubelet/node1',
      'kubelet/node2',
      'kubelet/node3',
      'kubelet/node4',
      'kubelet/node5',
      'kubelet/node6',
    ],
  );
  // CAs come before anything they sign, so one ordered pass can issue everything.
  const seen = new Set<string>();
  for (const plan of plans) {
    if (plan.ca) t.true(seen.has(plan.ca), `${plan.name} planned before ${plan.ca}`);
    seen.add(plan.name);
  }
});

test('etcd certificates name their own node only: name, FQDN, IP, localhost', async (t) => {
  const plans = byName(planCerts(await talkLab()));
  for (const [node, ip] of [['node1', '172.18.0.21'], ['node2', '172.18.0.22'], ['node3', '172.18.0.23']] as const) {
    for (const kind of ['server', 'peer']) {
      const plan = plans.get(`etcd/${node}-${kind}`)!;
      t.is(plan.ca, 'etcd-ca');
      t.deepEqual(plan.subject, { cn: node });
      t.deepEqual(plan.sans, { dns: [node, `${node}.example.com`, 'localhost'], ips: [ip, '127.0.0.1'] });
    }
    t.deepEqual(plans.get(`etcd/${node}-server`)!.extKeyUsage, ['serverAuth', 'clientAuth']);
    // Peers dial each other, so a peer certificate is both a server and a client.
    t.deepEqual(plans.get(`etcd/${node}-peer`)!.extKeyUsage, ['serverAuth', 'clientAuth']);
  }
  const client = plans.get('etcd/client')!;
  t.deepEqual([client.ca, client.extKeyUsage, client.sans], ['etcd-ca', ['clientAuth'], { dns: [], ips: [] }]);
});

test('apiserver SANs: service names, the API name, every controller (each runs an API server), the service IP, loopback', async (t) => {
  const apiserver = byName(planCerts(await talkLab())).get('apiserver')!;
  t.is(apiserver.ca, 'ca');
  t.deepEqual(apiserver.extKeyUsage, ['serverAuth']);
  t.deepEqual(apiserver.sans, {
    dns: [
      'kubernetes',
      'kubernetes.default',
      'kubernetes.default.svc',
      'kubernetes.default.svc.cluster.local',
      'cluster.example.com',
      'node1',
      'node1.example.com',
      'node2',
      'node2.example.com',
      'node3',
      'node3.example.com',
    ],
    ips: ['172.18.0.21', '172.18.0.22', '172.18.0.23', '10.3.0.1', '127.0.0.1'],
  });
  t.is(kubeServiceIp(), '10.3.0.1');
});

test('the API name is a SAN only in a Kubernetes lab', async (t) => {
  const lab = await talkLab();
  delete lab.kubernetes;
  const apiserver = byName(planCerts(lab)).get('apiserver')!;
  t.false(apiserver.sans.dns.includes('cluster.example.com'));
  t.true(apiserver.sans.dns.includes('node1.example.com'));
});

test('Kubernetes client identities: admin in system:masters, one system:node:<name> per node', async (t) => {
  const plans = byName(planCerts(await talkLab()));
  t.deepEqual(plans.get('admin')!.subject, { cn: 'admin', o: 'system:masters' });
  for (const node of ['node1', 'node4', 'node6']) {
    const kubelet = plans.get(`kubelet/${node}`)!;
    t.deepEqual(kubelet.subject, { cn: `system:node:${node}`, o: 'system:nodes' });
    t.deepEqual([kubelet.ca, kubelet.extKeyUsage], ['ca', ['clientAuth']]);
  }
});

test('CAs are RSA, sign and last ten years; leaves are ECDSA, cannot sign and last one', async (t) => {
  for (const plan of planCerts(await talkLab())) {
    if (plan.ca) {
      t.deepEqual([plan.keyType, plan.isCa, plan.keyUsage, plan.validityDays], ['ecdsa', false, ['digitalSignature'], 365]);
    } else {
      t.deepEqual([plan.keyType, plan.isCa, plan.keyUsage, plan.validityDays], ['rsa', true, ['digitalSignature', 'keyCertSign', 'cRLSign'], 3650]);
    }
  }
});

test('a lab without controllers plans no etcd member certs and an apiserver without node names', async (t) => {
  const lab = await talkLab();
  lab.nodes = lab.nodes.filter((node) => node.role === 'worker');
  const plans = byName(planCerts(lab));
  t.deepEqual([...plans.keys()].filter((name) => name.startsWith('etcd/')), ['etcd/client']);
  t.deepEqual(plans.get('apiserver')!.sans.ips, ['10.3.0.1', '127.0.0.1']);
  t.deepEqual([...plans.keys()].filter((name) => name.startsWith('kubelet/')), ['kubelet/node4', 'kubelet/node5', 'kubelet/node6']);
});
