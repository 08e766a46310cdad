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
  t.regex(unit(ign, 'kubelet.service')?.contents ?? '', /--node-ip=172\.24\.0\.21/);
  t.regex(unit(ign, 'kubelet.service')?.contents ?? '', /--node-labels=node\.kubernetes\.io\/controller=true/);
  t.regex(unit(render('node2'), 'kubelet.service')?.contents ?? '', /--node-labels=node\.kubernetes\.io\/node=/);
  t.regex(text(ign, '/etc/containerd/config.toml'), /sandbox_image = "metal-lab\.local\/pause:v1\.20\.2"/);
});

test('each node has its own pod /24 and a route to every other node\'s', (t) => {
  const cni = (n: string) => JSON.parse(text(render(n), '/etc/cni/net.d/10-metal-lab.conflist')) as { plugins: Array<{ ipam?: { ranges: Array<Array<{ subnet: string }>> } }> };
  t.is(cni('node1').plugins[0]!.ipam!.ranges[0]![0]!.subnet, '10.2.0.0/24');
  t.is(cni('node2').plugins[0]!.ipam!.ranges[0]![0]!.subnet, '10.2.1.0/24');
  const routes = text(render('node1'), '/etc/systemd/network/10-labos-dhcp.network.d/50-pod-routes.conf');
  t.is(routes, '[Route]\nDestination=10.2.1.0/24\nGateway=172.24.0.22\n');
});

test('only controllers run the apiserver checkpoint unit', (t) => {
  t.is(unit(render('node1'), 'kube-apiserver-checkpoint.service')?.enabled, true);
  t.is(unit(render('node2'), 'kube-apiserver-checkpoint.service'), undefined);
});
