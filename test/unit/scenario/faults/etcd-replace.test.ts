import test from 'ava';
import { LabError } from '../../../../src/errors.js';
import { parseMembers } from '../../../../src/scenario/etcd.js';
import { etcdSettings, memberAt, quorum } from '../../../../src/scenario/faults/etcd-replace.js';
import { renderedEtcdEnv } from '../../../support/node-ignition.js';

/** node3's /etc/default/etcd as Ignition writes it in the etcd lab. */
test("the member's name, data dir and peer URL come from the environment file Ignition writes", async (t) => {
  const s = etcdSettings(await renderedEtcdEnv(), 'node3');
  t.deepEqual(s, { name: 'node3', dataDir: '/var/lib/etcd/default', peerURLs: 'https://172.26.0.23:2380' });
});

test('a data dir that rm -rf should not be given is refused', (t) => {
  const env = (dir: string) => `ETCD_NAME=node3\nETCD_DATA_DIR=${dir}\nETCD_INITIAL_ADVERTISE_PEER_URLS=https://10.0.0.3:2380\n`;
  for (const dir of ['/', '/var', 'var/lib/etcd', '/var/lib/../..', '/var/lib/etcd data', '/var/lib/$(reboot)', '/var//lib']) {
    t.throws(() => etcdSettings(env(dir), 'node3'), { instanceOf: LabError }, dir);
  }
  t.is(etcdSettings(env('/var/lib/etcd/node3.etcd'), 'node3').dataDir, '/var/lib/etcd/node3.etcd');
  t.throws(() => etcdSettings('ETCD_NAME=node3\n', 'node3'), { instanceOf: LabError, message: /sets no ETCD_DATA_DIR/ });
});

test("the node's member is found by its peer URL, started or not", (t) => {
  // etcdctl 3.4.23 `member list -w json` with n3 added back and not started yet.
  const members = parseMembers(
    '{"header":{"cluster_id":8570459336700167655,"member_id":8645782499530242234,"raft_term":2},"members":[' +
      '{"ID":8645782499530242234,"name":"n1","peerURLs":["http://127.0.0.1:23801"],"clientURLs":["http://127.0.0.1:23791"]},' +
      '{"ID":11539305337000706507,"name":"n2","peerURLs":["http://127.0.0.1:23802"],"clientURLs":["http://127.0.0.1:23792"]},' +
      '{"ID":13250703020149822989,"peerURLs":["http://127.0.0.1:23803"]}]}',
  );
  const n3 = { name: 'n3', dataDir: '/var/lib/etcd/default', peerURLs: 'http://127.0.0.1:23803' };
  t.is(memberAt(members, n3)?.id, 'b7e3f4310c39d60d');
  t.is(memberAt(members, { ...n3, peerURLs: 'http://127.0.0.1:23802,http://10.0.0.2:2380' })?.name, 'n2');
  t.is(memberAt(members, { ...n3, peerURLs: 'http://127.0.0.1:23804' }), undefined);
});

test('quorum of the members left', (t) => {
  t.deepEqual([1, 2, 3, 4, 5].map(quorum), [1, 2, 2, 3, 3]);
});
