import test from 'ava';
import { parse } from 'yaml';
import { CONTROLLER_LABEL, DEFAULT_KUBE_VERSION, IMAGE_NAMES, imageRef, NODE_PATHS } from '../../../../src/ground/cluster.js';
import { LabError } from '../../../../src/errors.js';
import { loadLab } from '../../../../src/spec/lab.js';
import { renderBootkubeAssets, STAGE_LABEL, type KubeObject } from '../../../../src/render/bootkube/index.js';
import { container, freshPki, goldenLab, manifestObjects } from '../../../support/bootkube-fixture.js';

const lab = goldenLab();
const pki = freshPki(lab);
const render = async (kubeVersion = DEFAULT_KUBE_VERSION, timeoutScale = 1) => renderBootkubeAssets(lab, await pki, { kubeVersion, timeoutScale });

/** Every pod-bearing object of the render: static pods, checkpoints and workloads. */
function podObjects(assets: Map<string, string>): { file: string; obj: KubeObject }[] {
  return [...assets]
    .filter(([file]) => file.endsWith('.yaml'))
    .map(([file, text]) => ({ file, obj: parse(text) as KubeObject }))
    .filter(({ obj }) => ['Pod', 'DaemonSet', 'Deployment'].includes(obj.kind));
}

const podByName = (assets: Map<string, string>, file: string) => parse(assets.get(file)!) as KubeObject;
const flags = (obj: KubeObject) => container(obj).command.slice(1);

test('every YAML file is one object with apiVersion, kind and name; manifests are kube-system or cluster-scoped', async (t) => {
  const assets = await render();
  const yamls = [...assets].filter(([f]) => f.endsWith('.yaml'));
  t.true(yamls.length >= 20);
  for (const [file, text] of yamls) {
    const obj = parse(text) as KubeObject;
    t.truthy(obj.apiVersion && obj.kind && obj.metadata.name, file);
    t.false(text.includes('*a1') || text.includes('&a1'), `${file} has YAML aliases`);
    if (!obj.kind.startsWith('Cluster')) t.is(obj.metadata.namespace, 'kube-system', file);
  }
  for (const file of ['auth/kubeconfig', 'auth/bootstrap-kubeconfig', 'auth/kubelet/c1.kubeconfig']) t.is((parse(assets.get(file)!) as KubeObject).kind, 'Config');
});

test('no two files define the same object', async (t) => {
  const assets = await render();
  const seen = new Map<string, string>();
  for (const { file, obj } of [...manifestObjects(assets), ...manifestObjects(assets, 'bootstrap-manifests/'), ...manifestObjects(assets, 'checkpoints/')]) {
    const key = `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    t.false(seen.has(key), `${key} in ${file} and ${seen.get(key)}`);
    seen.set(key, file);
  }
  t.is(seen.size, manifestObjects(assets).length + 4);
});

test('every image is imageRef(name, version), for the version asked; a container named for its image runs its program', async (t) => {
  for (const version of [DEFAULT_KUBE_VERSION, 'v1.21.7']) {
    const assets = await render(version);
    const pods = podObjects(assets);
    t.is(pods.length, 10); // 3 bootstrap, 1 checkpoint, apiserver + proxy + pod-network DaemonSets, 3 Deployments
    for (const { file, obj } of pods) {
      const spec = ((obj.spec as { template?: { spec: unknown } }).template?.spec ?? obj.spec) as { containers: { name: string; image: string; command: string[] }[] };
      for (const c of spec.containers) {
        const name = IMAGE_NAMES.find((n) => c.image === imageRef(n, version));
        t.truthy(name, `${file}: ${c.image}`);
        if (c.name === name) t.is(c.command[0], c.name, file);
      }
    }
    t.false([...assets.values()].some((text) => text.includes(version === DEFAULT_KUBE_VERSION ? 'v1.21.7' : DEFAULT_KUBE_VERSION)));
  }
  await t.throwsAsync(render('1.20'), { instanceOf: LabError, message: /not v1\.MINOR\.PATCH/ });
});

test('the insecure-port flags follow the version: on 1.20, gone from the scheduler in 1.23 and everywhere in 1.24', async (t) => {
  const has = async (version: string, file: string) => flags(podByName(await render(version), file)).some((f) => /^--(insecure-)?port=0$/.test(f));
  const apiserver = 'manifests/30-kube-apiserver-daemonset.yaml';
  const scheduler = 'manifests/30-kube-scheduler-deployment.yaml';
  const kcm = 'manifests/30-kube-controller-manager-deployment.yaml';
  t.deepEqual(
    await Promise.all([
      has('v1.20.2', apiserver), has('v1.20.2', scheduler), has('v1.20.2', kcm),
      has('v1.23.0', apiserver), has('v1.23.0', scheduler), has('v1.23.0', kcm),
      has('v1.24.0', apiserver), has('v1.24.0', kcm),
    ]),
    [true, true, true, true, false, true, false, false],
  );
});

test('the timeout scale stretches leader election', async (t) => {
  const le = (obj: KubeObject) => flags(obj).filter((f) => /^--leader-elect-.*=\d+s$/.test(f));
  const one = le(podByName(await render(DEFAULT_KUBE_VERSION, 1), 'bootstrap-manifests/bootstrap-scheduler.yaml'));
  const six = le(podByName(await render(DEFAULT_KUBE_VERSION, 6), 'bootstrap-manifests/bootstrap-scheduler.yaml'));
  t.deepEqual(one, ['--leader-elect-lease-duration=15s', '--leader-elect-renew-deadline=10s', '--leader-elect-retry-period=2s']);
  t.deepEqual(six, ['--leader-elect-lease-duration=90s', '--leader-elect-renew-deadline=60s', '--leader-elect-retry-period=12s']);
});

test('bootstrap apiserver: the flags the pivot relies on', async (t) => {
  const assets = await render();
  const pod = podByName(assets, 'bootstrap-manifests/bootstrap-apiserver.yaml');
  const s = NODE_PATHS.bootstrapSecrets;
  const f = flags(pod);
  for (const want of [
    '--etcd-servers=https://127.0.0.1:2379',
    '--secure-port=6443',
    '--permit-port-sharing=true',
    '--insecure-port=0',
    '--advertise-address=172.30.5.21',
    '--service-cluster-ip-range=10.3.0.0/16',
    '--authorization-mode=Node,RBAC',
    '--enable-admission-plugins=NodeRestriction',
    `--service-account-key-file=${s}/service-account.pub`,
    `--kubelet-client-certificate=${s}/admin.crt`,
    `--kubelet-client-key=${s}/admin.key`,
    `--client-ca-file=${s}/ca.crt`,
    '--allow-privileged=true',
    '--kubelet-preferred-address-types=InternalIP',
    // No request limiting: its watermark histograms cost a TCG apiserver 40% of its CPU.
    '--enable-priority-and-fairness=false',
    '--max-requests-inflight=0',
    '--max-mutating-requests-inflight=0',
  ]) t.true(f.includes(want), want);
  t.is(pod.metadata.name, 'bootstrap-kube-apiserver');
  t.deepEqual(pod.metadata.labels, { tier: 'control-plane', 'k8s-app': 'kube-apiserver', [STAGE_LABEL]: 'bootstrap' });
  // Every file the flags name is one the pivot copies there.
  for (const flag of f.filter((x) => x.includes(`${s}/`))) t.true(assets.has(`tls/${flag.split(`${s}/`)[1]}`), flag);
});

test('the apiserver is the same pod in all three stages but for secrets, advertise address and markers', async (t) => {
  const assets = await render();
  const bootstrap = podByName(assets, 'bootstrap-manifests/bootstrap-apiserver.yaml');
  const ds = podByName(assets, 'manifests/30-kube-apiserver-daemonset.yaml');
  const checkpoint = podByName(assets, 'checkpoints/kube-apiserver.yaml');
  const normal = (obj: KubeObject, dir: string) =>
    flags(obj).map((f) => f.replace(`${dir}/`, 'SECRETS/').replace(/^--advertise-address=.*/, '--advertise-address=X'));
  t.deepEqual(normal(ds, '/etc/kubernetes/secrets'), normal(bootstrap, NODE_PATHS.bootstrapSecrets));
  // The checkpoint advertises its default-route address: after a full reboot its kubelet has no Node
  // object to resolve status.hostIP from.
  t.deepEqual(normal(checkpoint, NODE_PATHS.checkpointSecrets), normal(bootstrap, NODE_PATHS.bootstrapSecrets).filter((f) => !f.startsWith('--advertise-address')));
  t.true(flags(ds).includes('--advertise-address=$(HOST_IP)'));
  t.false(flags(checkpoint).some((f) => f.startsWith('--advertise-address')));

  const template = (ds.spec as { template: { metadata: KubeObject['metadata']; spec: Record<string, unknown> } }).template;
  t.is(template.metadata.annotations?.['checkpointer.alpha.coreos.com/checkpoint'], 'true');
  t.deepEqual(template.spec.nodeSelector, { [CONTROLLER_LABEL]: 'true' });
  t.deepEqual(template.spec.tolerations, [{ operator: 'Exists' }]);
  t.is(template.spec.priorityClassName, 'system-cluster-critical');
  t.is(template.spec.hostNetwork, true);
  t.deepEqual((template.spec.containers as { env: unknown }[])[0]!.env, [{ name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }]);
  t.is(checkpoint.metadata.name, 'kube-apiserver-checkpoint');
  t.is(checkpoint.metadata.annotations?.['checkpointer.alpha.coreos.com/checkpoint-of'], 'kube-apiserver');
  t.deepEqual((checkpoint.spec as { volumes: unknown }).volumes, [{ name: 'secrets', hostPath: { path: NODE_PATHS.checkpointSecrets } }]);
});

test('workload selectors pick their own self-hosted pods and never a static pod', async (t) => {
  const assets = await render();
  const pods = podObjects(assets);
  const labelsOf = (obj: KubeObject) =>
    obj.kind === 'Pod' ? obj.metadata.labels! : (obj.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
  const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
  for (const { file, obj } of pods.filter((p) => p.obj.kind !== 'Pod')) {
    const selector = (obj.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
    t.deepEqual(pods.filter((p) => matches(selector, labelsOf(p.obj))).map((p) => p.file), [file], file);
  }
  const pdbs = manifestObjects(assets).filter(({ obj }) => obj.kind === 'PodDisruptionBudget');
  t.deepEqual(pdbs.map(({ obj }) => [obj.apiVersion, obj.metadata.name, (obj.spec as { minAvailable: number }).minAvailable]), [
    ['policy/v1beta1', 'kube-controller-manager', 1],
    ['policy/v1beta1', 'kube-scheduler', 1],
  ]);
});

test('self-hosted controller-manager and scheduler: 2 controller replicas as their ServiceAccounts on 127.0.0.1', async (t) => {
  const assets = await render();
  const configMap = podByName(assets, 'manifests/20-control-plane-kubeconfig-configmap.yaml') as KubeObject & { data: { kubeconfig: string } };
  const kubeconfig = parse(configMap.data.kubeconfig) as { clusters: { cluster: { server: string } }[]; users: { user: { tokenFile: string } }[] };
  t.is(kubeconfig.clusters[0]!.cluster.server, 'https://127.0.0.1:6443');
  t.is(kubeconfig.users[0]!.user.tokenFile, '/var/run/secrets/kubernetes.io/serviceaccount/token');
  for (const name of ['kube-controller-manager', 'kube-scheduler']) {
    const d = podByName(assets, `manifests/30-${name}-deployment.yaml`);
    const spec = d.spec as { replicas: number; template: { spec: Record<string, unknown> } };
    t.is(spec.replicas, 2);
    t.is(spec.template.spec.serviceAccountName, name);
    t.deepEqual(spec.template.spec.nodeSelector, { [CONTROLLER_LABEL]: 'true' });
    t.truthy((spec.template.spec.affinity as { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: unknown[] } }).podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0]);
    t.true(flags(d).includes('--kubeconfig=/etc/kubernetes/kubeconfig/kubeconfig'));
    t.true(flags(d).includes('--leader-elect=true'));
    t.true(assets.has(`manifests/10-${name}-serviceaccount.yaml`));
    t.true(assets.has(`manifests/12-${name}-clusterrolebinding.yaml`));
  }
  const kcm = flags(podByName(assets, 'manifests/30-kube-controller-manager-deployment.yaml'));
  for (const want of ['--use-service-account-credentials=true', '--allocate-node-cidrs=true', '--cluster-cidr=10.2.0.0/16', '--node-cidr-mask-size=24', '--root-ca-file=/etc/kubernetes/secrets/ca.crt']) {
    t.true(kcm.includes(want), want);
  }
  const proxy = podByName(assets, 'manifests/30-kube-proxy-daemonset.yaml');
  t.true(flags(proxy).includes('--proxy-mode=iptables'));
  t.true(flags(proxy).includes('--hostname-override=$(NODE_NAME)'));
  const proxyKubeconfig = parse((podByName(assets, 'manifests/20-kube-proxy-kubeconfig-configmap.yaml') as KubeObject & { data: { kubeconfig: string } }).data.kubeconfig);
  t.is(proxyKubeconfig.clusters[0].cluster.server, 'https://cluster.example.com:6443');
});

test('a lab with three controllers: every apiserver on its own etcd member, kubelet kubeconfigs for every node', async (t) => {
  const talk = await loadLab('talk');
  const assets = renderBootkubeAssets(talk, await freshPki(talk), { timeoutScale: 1 });
  t.true(talk.nodes.filter((n) => n.role === 'controller').length >= 3);
  // Bootstrap, self-hosted and checkpoint alike: loopback, which each controller's etcd also listens on.
  for (const file of ['bootstrap-manifests/bootstrap-apiserver.yaml', 'manifests/30-kube-apiserver-daemonset.yaml', 'checkpoints/kube-apiserver.yaml']) {
    t.deepEqual(flags(podByName(assets, file)).filter((f) => f.startsWith('--etcd-servers=')), ['--etcd-servers=https://127.0.0.1:2379'], file);
  }
  t.deepEqual(
    [...assets.keys()].filter((f) => f.startsWith('auth/kubelet/')).sort(),
    talk.nodes.map((n) => `auth/kubelet/${n.name}.kubeconfig`).sort(),
  );
});
