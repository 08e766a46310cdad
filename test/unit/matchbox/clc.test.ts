import test from 'ava';
import { ClcError, containerLinuxToIgnition } from '../../../src/matchbox/clc.js';

const HEAD = '{"ignition":{"config":{},"security":{"tls":{}},"timeouts":{},"version":"2.2.0"}';

test('systemd units: the exact bytes of Matchbox v0.7 test fixtures', (t) => {
  const out = containerLinuxToIgnition(
    'systemd:\n  units:\n    - name: etcd2.service\n      enable: true\n    - name: some-param.service\n      enable: true\n      contents: foo=some-param&bar=b\n',
  );
  t.is(
    out,
    `${HEAD},"networkd":{},"passwd":{},"storage":{},"systemd":{"units":[{"enable":true,"name":"etcd2.service"},{"contents":"foo=some-param\\u0026bar=b","enable":true,"name":"some-param.service"}]}}`,
  );
});

test('an empty config still has every section', (t) => {
  t.is(containerLinuxToIgnition(''), `${HEAD},"networkd":{},"passwd":{},"storage":{},"systemd":{}}`);
});

test('files: data URL escaping, octal YAML 1.1 mode, default mode 0644, user/group only when given', (t) => {
  const out = JSON.parse(
    containerLinuxToIgnition(`storage:
  files:
    - path: /etc/hostname
      filesystem: root
      mode: 0600
      contents:
        inline: "node1 & <x>\\n"
    - path: /etc/empty
      filesystem: root
      user: {id: 500}
  directories:
    - path: /opt/bin
      filesystem: root
  links:
    - path: /etc/localtime
      filesystem: root
      target: /usr/share/zoneinfo/UTC
`),
  );
  t.deepEqual(out.storage.files, [
    { filesystem: 'root', path: '/etc/hostname', contents: { source: 'data:,node1%20%26%20%3Cx%3E%0A', verification: {} }, mode: 0o600 },
    { filesystem: 'root', path: '/etc/empty', user: { id: 500 }, contents: { source: 'data:,', verification: {} }, mode: 0o644 },
  ]);
  t.deepEqual(out.storage.directories, [{ filesystem: 'root', path: '/opt/bin', mode: 0o755 }]);
  t.deepEqual(out.storage.links, [{ filesystem: 'root', path: '/etc/localtime', target: '/usr/share/zoneinfo/UTC' }]);
});

test('passwd, networkd and dropins in Ignition field order', (t) => {
  const out = containerLinuxToIgnition(`passwd:
  users:
    - name: core
      ssh_authorized_keys: ["ssh-ed25519 AAAA"]
      groups: [sudo]
networkd:
  units:
    - name: 10-eth.network
      contents: "[Match]\\nName=eth0\\n"
systemd:
  units:
    - name: kubelet.service
      enabled: false
      dropins:
        - name: 40-x.conf
          contents: "[Service]\\n"
`);
  t.true(out.includes('"passwd":{"users":[{"groups":["sudo"],"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAA"]}]}'));
  t.true(out.includes('"networkd":{"units":[{"contents":"[Match]\\nName=eth0\\n","name":"10-eth.network"}]}'));
  t.true(out.includes('"systemd":{"units":[{"dropins":[{"contents":"[Service]\\n","name":"40-x.conf"}],"enabled":false,"name":"kubelet.service"}]}'));
});

test('fatal errors like ct: bad YAML, relative path, missing filesystem, bad unit name, wrong type', (t) => {
  for (const bad of [
    'systemd: [',
    'storage:\n  files:\n    - path: etc/x\n      filesystem: root\n',
    'storage:\n  files:\n    - path: /etc/x\n',
    'systemd:\n  units:\n    - name: foo.conf\n',
    'systemd:\n  units:\n    - name: a.service\n      enable: maybe\n',
    'systemd: 5\n',
  ]) {
    t.throws(() => containerLinuxToIgnition(bad), { instanceOf: ClcError }, bad);
  }
});

test('sections the lab does not transpile are refused, not silently dropped', (t) => {
  t.throws(() => containerLinuxToIgnition('etcd:\n  name: n1\n'), { message: /etcd is not supported/ });
  t.throws(() => containerLinuxToIgnition('storage:\n  filesystems:\n    - name: root\n'), { message: /storage.filesystems is not supported/ });
});

test('unknown keys are ignored, as ct only warns', (t) => {
  t.is(containerLinuxToIgnition('whatever: 1\nsystemd:\n  units: []\n'), `${HEAD},"networkd":{},"passwd":{},"storage":{},"systemd":{}}`);
});
