import test from 'ava';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { loadLab } from '../../../src/spec/lab.js';
import { ensureLabPki } from '../../../src/pki/ensure.js';
import { etcdInitialCluster, renderNodeIgnition } from '../../../src/render/ignition.js';

const lab = await loadLab('talk');
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'metal-lab-ign-'));
const pki = await ensureLabPki(lab, { dir: path.join(dir, 'pki') });
test.after.always(() => fs.rm(dir, { recursive: true, force: true }));
const node = (name: string) => lab.nodes.find((n) => n.name === name)!;

interface Ign {
  passwd: { users: Array<{ name: string; sshAuthorizedKeys: string[] }> };
  storage: { files: Array<{ path: string; mode: number; user?: { name: string }; contents: { source: string } }> };
  systemd: { units: Array<{ name: string; enabled?: boolean; mask?: boolean; contents?: string; dropins?: Array<{ name: string; contents: string }> }> };
}
const render = (name: string) => renderNodeIgnition(lab, node(name), pki, { timeoutScale: 6 }) as Ign;
const contents = (ign: Ign, p: string) => decodeURIComponent(ign.storage.files.find((f) => f.path === p)!.contents.source.replace(/^data:,/, ''));

/** Debian's ignition-validate: the real Ignition's own parser and checks. */
async function validate(config: object): Promise<{ exitCode?: number; output: string }> {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.ign`);
  await fs.writeFile(file, JSON.stringify(config));
  const r = await execa('ignition-validate', [file], { reject: false, all: true });
  return { exitCode: r.exitCode, output: String(r.all) };
}

test('every node config passes ignition-validate with no warnings', async (t) => {
  for (const n of lab.nodes) {
    const r = await validate(renderNodeIgnition(lab, n, pki, { timeoutScale: 6 }));
    t.is(r.exitCode, 0, `${n.name}: ${r.output}`);
    t.is(r.output.trim(), '', `${n.name}: ${r.output}`);
  }
});

test('ignition-validate is not a rubber stamp: a broken config fails', async (t) => {
  const broken = { ...render('node1'), storage: { files: [{ path: 'relative/path', contents: { source: 'data:,x' } }] } };
  t.not((await validate(broken)).exitCode, 0);
});

test('every node: hostname, the core user with the lab SSH key, the first-boot report', (t) => {
  for (const name of ['node1', 'node4']) {
    const ign = render(name);
    t.is(contents(ign, '/etc/hostname'), `${name}\n`);
    t.deepEqual(ign.passwd.users, [{ name: 'core', sshAuthorizedKeys: [pki.ssh.publicKey.trim()] }]);
    const report = ign.systemd.units.find((u) => u.name === 'metal-lab-firstboot.service')!;
    t.true(report.enabled);
    t.regex(report.contents!, new RegExp(`/lab/event\\?mac=${node(name).mac}&stage=installed`));
  }
});

test('a controller runs etcd with its own TLS files, keys 0600 for the etcd user, and the static cluster', (t) => {
  const ign = render('node2');
  t.is(contents(ign, '/etc/etcd/tls/server.crt'), pki.certs['etcd/node2-server']!.certPem);
  t.is(contents(ign, '/etc/etcd/tls/peer.key'), pki.certs['etcd/node2-peer']!.key.reveal());
  t.is(contents(ign, '/etc/etcd/tls/ca.crt'), pki.certs['etcd-ca']!.certPem);
  for (const key of ['/etc/etcd/tls/server.key', '/etc/etcd/tls/peer.key']) {
    const f = ign.storage.files.find((x) => x.path === key)!;
    t.is(f.mode, 0o600);
    t.is(f.user?.name, 'etcd');
  }
  const env = contents(ign, '/etc/default/etcd');
  t.regex(env, /^ETCD_NAME=node2$/m);
  t.regex(env, /^ETCD_LISTEN_CLIENT_URLS=https:\/\/172\.18\.0\.22:2379,https:\/\/127\.0\.0\.1:2379$/m);
  t.regex(env, /^ETCD_ELECTION_TIMEOUT=6000$/m);
  t.is(etcdInitialCluster(lab), 'node1=https://172.18.0.21:2380,node2=https://172.18.0.22:2380,node3=https://172.18.0.23:2380');
  t.true(env.includes(`ETCD_INITIAL_CLUSTER=${etcdInitialCluster(lab)}\n`));
  t.true(ign.systemd.units.some((u) => u.name === 'etcd.service' && u.enabled));
});

test("etcd waits for the node's address and is restarted whatever way it exits", (t) => {
  // Debian's unit is After=network.target, Restart=on-abnormal: an etcd started before DHCP
  // exits 1 on its bind and is never started again.
  const etcd = render('node1').systemd.units.find((u) => u.name === 'etcd.service')!;
  const dropin = etcd.dropins?.find((d) => d.name.endsWith('.conf'))?.contents ?? '';
  t.regex(dropin, /^\[Unit\]\nWants=network-online\.target\nAfter=network-online\.target$/m);
  t.regex(dropin, /^\[Service\]\nRestart=always\nRestartSec=5s$/m);
});

test('a worker gets no etcd material and etcd masked', (t) => {
  const ign = render('node5');
  t.false(ign.storage.files.some((f) => f.path.startsWith('/etc/etcd') || f.path === '/etc/default/etcd'));
  t.true(ign.systemd.units.some((u) => u.name === 'etcd.service' && u.mask));
});
