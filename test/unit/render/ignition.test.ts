import test from 'ava';
import { etcdInitialCluster } from '../../../src/render/ignition.js';
import { nodeIgnition, text } from '../../support/node-ignition.js';

const { lab, pki, node, render } = await nodeIgnition('talk');

test('every node: hostname, the core user with the lab SSH key, the first-boot report', (t) => {
  for (const name of ['node1', 'node4']) {
    const ign = render(name);
    t.is(text(ign, '/etc/hostname'), `${name}\n`);
    t.deepEqual(ign.passwd.users, [{ name: 'core', sshAuthorizedKeys: [pki.ssh.publicKey.trim()] }]);
    const report = ign.systemd.units.find((u) => u.name === 'metal-lab-firstboot.service')!;
    t.true(report.enabled);
    t.regex(report.contents!, new RegExp(`/lab/event\\?mac=${node(name).mac}&stage=installed`));
  }
});

test('a controller runs etcd with its own TLS files, keys 0600 for the etcd user, and the static cluster', (t) => {
  const ign = render('node2');
  t.is(text(ign, '/etc/etcd/tls/server.crt'), pki.certs['etcd/node2-server']!.certPem);
  t.is(text(ign, '/etc/etcd/tls/peer.key'), pki.certs['etcd/node2-peer']!.key.reveal());
  t.is(text(ign, '/etc/etcd/tls/ca.crt'), pki.certs['etcd-ca']!.certPem);
  for (const key of ['/etc/etcd/tls/server.key', '/etc/etcd/tls/peer.key']) {
    const f = ign.storage.files.find((x) => x.path === key)!;
    t.is(f.mode, 0o600);
    t.is(f.user?.name, 'etcd');
  }
  const env = text(ign, '/etc/default/etcd');
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
