import test from 'ava';
import { digest, fileOf, KUBE_ASSETS as kube, nodeIgnition, text, type Ign } from '../../support/node-ignition.js';

const { render } = await nodeIgnition('bootstrap', kube);
const unit = (ign: Ign, name: string) => ign.systemd.units.find((u) => u.name === name);

test('binaries and image archives come from the boot server, checked by sha512', (t) => {
  const ign = render('node2');
  t.deepEqual(fileOf(ign, '/opt/bin/kubelet')?.contents, { source: `${kube.baseUrl}/kubelet`, verification: { hash: `sha512-${digest('a')}` } });
  t.is(fileOf(ign, '/opt/bin/kubelet')?.mode, 0o755);
  t.deepEqual(fileOf(ign, '/var/lib/metal-lab/images/kube-proxy.tar')?.contents.verification, { hash: `sha512-${digest('d')}` });
});

test('the kubelet waits for its kubeconfig: kubelet.path is enabled, kubelet.service is not', (t) => {
  const ign = render('node1');
  t.is(unit(ign, 'kubelet.path')?.enabled, true);
  t.regex(unit(ign, 'kubelet.path')?.contents ?? '', /^PathExists=\/etc\/kubernetes\/kubeconfig$/m);
  t.is(unit(ign, 'kubelet.service')?.enabled, undefined);
  // First boot's presets would enable it, and it would restart without a kubeconfig until one came.
  t.notRegex(unit(ign, 'kubelet.service')?.contents ?? '', /\[Install\]/);
  t.regex(unit(ign, 'kubelet.service')?.contents ?? '', /--node-ip=172\.24\.0\.21/);
  t.regex(unit(ign, 'kubelet.service')?.contents ?? '', /--node-labels=node\.kubernetes\.io\/controller=true/);
  t.regex(unit(render('node2'), 'kubelet.service')?.contents ?? '', /--node-labels=node\.kubernetes\.io\/node=/);
  // Rendered at TCG's timeout scale (x6): cAdvisor reads each container's cgroups every minute, not every 10 s.
  t.regex(unit(ign, 'kubelet.service')?.contents ?? '', /--housekeeping-interval=60s /);
  t.regex(text(ign, '/etc/containerd/config.toml'), /sandbox_image = "metal-lab\.local\/pause:v1\.20\.2"/);
});

test('no static pod network: the add-on writes the CNI config; pods resolve through the cluster DNS Service', (t) => {
  const ign = render('node1');
  t.false(ign.storage.files.some((f) => f.path.startsWith('/etc/cni/') || f.path.includes('pod-routes')));
  const kubelet = text(ign, '/etc/kubernetes/kubelet.yaml');
  t.regex(kubelet, /^clusterDomain: cluster\.local$/m);
  t.regex(kubelet, /^clusterDNS: \[10\.3\.0\.10\]$/m);
  t.regex(kubelet, /^resolvConf: \/run\/systemd\/resolve\/resolv\.conf$/m);
});

test('the heartbeat stretches with the timeout scale, as the node-monitor grace period does', (t) => {
  const kubelet = text(render('node2'), '/etc/kubernetes/kubelet.yaml');
  t.regex(kubelet, /^nodeStatusUpdateFrequency: 60s$/m);
  t.regex(kubelet, /^nodeLeaseDurationSeconds: 240$/m);
});

test('only controllers run the apiserver checkpoint unit', (t) => {
  t.is(unit(render('node1'), 'kube-apiserver-checkpoint.service')?.enabled, true);
  t.is(unit(render('node2'), 'kube-apiserver-checkpoint.service'), undefined);
});

test('a worker is not given the controllers\' own images: it never runs them, and under TCG each import costs a guest minutes', (t) => {
  const images = (name: string) => render(name).storage.files.filter((f) => f.path.startsWith('/var/lib/metal-lab/images/')).map((f) => f.path.slice('/var/lib/metal-lab/images/'.length));
  t.deepEqual(images('node1'), ['pause.tar', 'kube-proxy.tar', 'kube-apiserver.tar']);
  t.deepEqual(images('node2'), ['pause.tar', 'kube-proxy.tar']);
});
