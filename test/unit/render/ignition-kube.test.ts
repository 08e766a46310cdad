import test from 'ava';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { loadLab } from '../../../src/spec/lab.js';
import { ensureLabPki } from '../../../src/pki/ensure.js';
import { renderNodeIgnition } from '../../../src/render/ignition.js';
import type { KubeNodeAssets } from '../../../src/render/ignition-kube.js';

const lab = await loadLab('bootstrap');
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'metal-lab-ign-kube-'));
const pki = await ensureLabPki(lab, { dir: path.join(dir, 'pki') });
test.after.always(() => fs.rm(dir, { recursive: true, force: true }));

const digest = (c: string) => c.repeat(128);
const kube: KubeNodeAssets = {
  version: 'v1.20.2',
  baseUrl: 'http://172.24.0.1:8080/assets/kubernetes/v1.20.2',
  kubelet: { name: 'kubelet', sha512: digest('a') },
  kubectl: { name: 'kubectl', sha512: digest('b') },
  images: [
    { name: 'pause.tar', sha512: digest('c'), ref: 'metal-lab.local/pause:v1.20.2' },
    { name: 'kube-proxy.tar', sha512: digest('d'), ref: 'metal-lab.local/kube-proxy:v1.20.2' },
  ],
  pauseRef: 'metal-lab.local/pause:v1.20.2',
};

interface Ign {
  storage: { files: Array<{ path: string; mode: number; contents: { source: string; verification?: { hash: string } } }> };
  systemd: { units: Array<{ name: string; enabled?: boolean; contents?: string }> };
}
const render = (name: string) => renderNodeIgnition(lab, lab.nodes.find((n) => n.name === name)!, pki, { timeoutScale: 6, kube }) as Ign;
const fileOf = (ign: Ign, p: string) => ign.storage.files.find((f) => f.path === p);
const text = (ign: Ign, p: string) => decodeURIComponent(fileOf(ign, p)!.contents.source.replace(/^data:,/, ''));
const unit = (ign: Ign, name: string) => ign.systemd.units.find((u) => u.name === name);

test('Kubernetes node configs pass Debian\'s ignition-validate', async (t) => {
  for (const n of lab.nodes) {
    const file = path.join(dir, `${n.name}.ign`);
    await fs.writeFile(file, JSON.stringify(render(n.name)));
    const r = await execa('ignition-validate', [file], { reject: false, all: true });
    t.is(r.exitCode, 0, String(r.all));
    t.is(String(r.all).trim(), '');
  }
});

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

test('only controllers run the apiserver checkpoint unit; its script parses as shell', async (t) => {
  t.is(unit(render('node1'), 'kube-apiserver-checkpoint.service')?.enabled, true);
  t.is(unit(render('node2'), 'kube-apiserver-checkpoint.service'), undefined);
  const script = path.join(dir, 'checkpoint.sh');
  await fs.writeFile(script, text(render('node1'), '/opt/bin/kube-apiserver-checkpoint'));
  t.is((await execa('sh', ['-n', script], { reject: false })).exitCode, 0);
});

test('an activated checkpoint advertises its node\'s address: the rendered static pod, through the unit\'s sed', async (t) => {
  const { renderBootkubeAssets } = await import('../../../src/render/bootkube/index.js');
  const { checkpointSed } = await import('../../../src/render/ignition-kube.js');
  const { parse } = await import('yaml');
  const saved = path.join(dir, 'kube-apiserver.yaml');
  await fs.writeFile(saved, renderBootkubeAssets(lab, pki, { timeoutScale: 1 }).get('checkpoints/kube-apiserver.yaml')!);
  const node1 = lab.nodes.find((n) => n.name === 'node1')!;
  const r = await execa('sed', [checkpointSed(node1), saved]);
  const pod = parse(r.stdout) as { spec: { containers: Array<{ command: string[] }> } };
  const command = pod.spec.containers[0]!.command;
  t.is(command[0], 'kube-apiserver');
  t.is(command[1], '--advertise-address=172.24.0.21');
  t.is(command.filter((f) => f.startsWith('--advertise-address')).length, 1);
});

test('the checkpoint\'s parent is a DaemonSet kube-apiserver pod started since this boot and not being deleted (real jq)', async (t) => {
  const { CHECKPOINT_PARENT_FILTER } = await import('../../../src/render/ignition-kube.js');
  const boot = Date.parse('2026-11-27T06:00:00Z') / 1000;
  const pod = (name: string, o: { startedAt?: string; owner?: string; deleting?: boolean } = {}) => ({
    metadata: {
      name,
      ...(o.owner ? { ownerReferences: [{ kind: o.owner, name: 'kube-apiserver' }] } : {}),
      ...(o.deleting ? { deletionTimestamp: '2026-11-27T06:05:00Z' } : {}),
    },
    status: { phase: 'Running', containerStatuses: o.startedAt ? [{ state: { running: { startedAt: o.startedAt } } }] : [] },
  });
  const parent = async (...items: object[]) =>
    (await execa('jq', ['-e', '--argjson', 'boot', String(boot), CHECKPOINT_PARENT_FILTER], { input: JSON.stringify({ items }), reject: false })).exitCode === 0;
  t.true(await parent(pod('kube-apiserver-abcde', { owner: 'DaemonSet', startedAt: '2026-11-27T06:01:00Z' })));
  t.false(await parent(pod('kube-apiserver-abcde', { owner: 'DaemonSet', startedAt: '2026-11-27T05:59:00Z' })), 'still Running in the API from before the reboot');
  t.false(await parent(pod('kube-apiserver-abcde', { owner: 'DaemonSet', startedAt: '2026-11-27T06:01:00Z', deleting: true })), 'in its grace period');
  t.false(await parent(pod('kube-apiserver-checkpoint-node1', { startedAt: '2026-11-27T06:01:00Z' })), 'the checkpoint\'s own mirror pod');
  t.false(await parent(pod('kube-apiserver-abcde', { owner: 'DaemonSet' })), 'no container running yet');
  t.false(await parent());
});
