import test from 'ava';
import { etcdInitialCluster } from '../../../src/render/ignition.js';
import { ETCD_SECRETS_READY, nodeSecrets } from '../../../src/render/node-secrets.js';
import { nodeIgnition, text } from '../../support/node-ignition.js';

const { lab, pki, node, render } = await nodeIgnition('talk');
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

test('every node: hostname, the core user with the lab SSH key, the first-boot report', (t) => {
  for (const name of ['node1', 'node4']) {
    const ign = render(name);
    t.is(text(ign, '/etc/hostname'), `${name}\n`);
    t.deepEqual(ign.passwd.users, [{ name: 'core', sshAuthorizedKeys: [pki.ssh.publicKey.trim()] }]);
    const report = ign.systemd.units.find((u) => u.name === 'metal-lab-firstboot.service')!;
    t.true(report.enabled);
    t.regex(report.contents!, new RegExp(`/lab/event\\?mac=${node(name).mac}&stage=installed`));
    // Once, by its own stamp: a first boot its watchdog reset has committed the machine-id already.
    t.notRegex(report.contents!, /ConditionFirstBoot/);
    t.regex(report.contents!, /^ConditionPathExists=!\/var\/lib\/metal-lab\/first-boot-reported$/m);
    t.regex(report.contents!, /--retry-all-errors -o \/dev\/null "[^"]+"\nExecStart=\/bin\/touch \/var\/lib\/metal-lab\/first-boot-reported\n/);
  }
});

test('a controller runs etcd with the static cluster, started by etcd.path once its keys are there, which Ignition does not carry', (t) => {
  const ign = render('node2');
  t.deepEqual(ign.storage.files.filter((f) => f.path.startsWith('/etc/etcd') || f.path.startsWith('/home/core/.etcd')), [], 'its TLS files come over SSH');
  t.false(PEM_PRIVATE_KEY.test(JSON.stringify(ign)), 'no private key anywhere in the config');
  const env = text(ign, '/etc/default/etcd');
  t.regex(env, /^ETCD_NAME=node2$/m);
  t.regex(env, /^ETCD_LISTEN_CLIENT_URLS=https:\/\/172\.18\.0\.22:2379,https:\/\/127\.0\.0\.1:2379$/m);
  t.regex(env, /^ETCD_KEY_FILE=\/etc\/etcd\/tls\/server\.key$/m);
  t.regex(env, /^ETCD_ELECTION_TIMEOUT=6000$/m);
  t.is(etcdInitialCluster(lab), 'node1=https://172.18.0.21:2380,node2=https://172.18.0.22:2380,node3=https://172.18.0.23:2380');
  t.true(env.includes(`ETCD_INITIAL_CLUSTER=${etcdInitialCluster(lab)}\n`));
  const etcd = ign.systemd.units.find((u) => u.name === 'etcd.service')!;
  t.regex(etcd.dropins![0]!.contents, /^ConditionPathExists=\/etc\/etcd\/tls\/peer\.key$/m, 'skipped at boot until the keys are there');
  const path = ign.systemd.units.find((u) => u.name === 'etcd.path')!;
  t.true(path.enabled);
  t.regex(path.contents ?? '', /^\[Path\]\nPathExists=\/etc\/etcd\/tls\/peer\.key$/m);
  // A cgroup of its own, weighted above the pods': a nice value would rank it only within its own.
  t.regex(etcd.dropins![0]!.contents, /^Slice=etcd\.slice$/m);
  t.notRegex(etcd.dropins![0]!.contents, /^Nice=/m);
  t.regex(ign.systemd.units.find((u) => u.name === 'etcd.slice')?.contents ?? '', /^\[Slice\]\nCPUWeight=1000$/m);
  t.false(render('node4').systemd.units.some((u) => u.name === 'etcd.slice'), 'a worker runs no etcd');
});

test('the keys a controller gets over SSH: its own etcd pairs for the etcd user, 0600, the file etcd.path waits for last', (t) => {
  const files = nodeSecrets(lab.nodes.find((n) => n.name === 'node2')!, pki);
  t.is(files.at(-1)!.path, ETCD_SECRETS_READY);
  const reveal = (p: string) => { const c = files.find((f) => f.path === p)!.contents; return typeof c === 'string' ? c : c.reveal(); };
  t.is(reveal('/etc/etcd/tls/server.crt'), pki.certs['etcd/node2-server']!.certPem);
  t.is(reveal('/etc/etcd/tls/peer.key'), pki.certs['etcd/node2-peer']!.key.reveal());
  t.is(reveal('/etc/etcd/tls/ca.crt'), pki.certs['etcd-ca']!.certPem);
  const keys = files.filter((f) => typeof f.contents !== 'string');
  t.deepEqual(keys.map((f) => [f.path, f.mode, f.owner]), [
    ['/home/core/.etcd/client.key', 0o600, 'core'],
    ['/etc/etcd/tls/server.key', 0o600, 'etcd'],
    ['/etc/etcd/tls/peer.key', 0o600, 'etcd'],
  ]);
  t.false(JSON.stringify(files).includes('PRIVATE KEY'), 'a key shows as [secret] until written');
  t.deepEqual(nodeSecrets(lab.nodes.find((n) => n.name === 'node5')!, pki), [], 'a worker gets none');
});

test("etcd waits for the node's address and is restarted whatever way it exits", (t) => {
  // Debian's unit is After=network.target, Restart=on-abnormal: an etcd started before DHCP
  // exits 1 on its bind and is never started again.
  const etcd = render('node1').systemd.units.find((u) => u.name === 'etcd.service')!;
  const dropin = etcd.dropins?.find((d) => d.name.endsWith('.conf'))?.contents ?? '';
  t.regex(dropin, /^\[Unit\]\nWants=network-online\.target\nAfter=network-online\.target\n/m);
  t.regex(dropin, /^\[Service\]\nRestart=always\nRestartSec=5s$/m);
});

test('a worker gets no etcd material and etcd masked', (t) => {
  const ign = render('node5');
  t.false(ign.storage.files.some((f) => f.path.startsWith('/etc/etcd') || f.path === '/etc/default/etcd'));
  t.true(ign.systemd.units.some((u) => u.name === 'etcd.service' && u.mask));
});
