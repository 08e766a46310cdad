import test from 'ava';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { LabError } from '../../../../src/errors.js';
import { parseMembers } from '../../../../src/scenario/etcd.js';
import { etcdSettings, memberAt, quorum, rejoinScript, ETCD_ENV_FILE } from '../../../../src/scenario/faults/etcd-replace.js';
import { keyValues } from '../../../../src/scenario/faults/node.js';
import { nodeIgnition, text } from '../../../support/node-ignition.js';
import { tempDir } from '../../../support/temp-dir.js';

/** node3's /etc/default/etcd as Ignition writes it in the etcd lab. */
async function renderedEnv(): Promise<string> {
  const { render } = await nodeIgnition('etcd');
  return text(render('node3'), ETCD_ENV_FILE);
}

test("the member's name, data dir and peer URL come from the environment file Ignition writes", async (t) => {
  const s = etcdSettings(await renderedEnv(), 'node3');
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

test('the rejoin script wipes the data dir and makes the member join the existing cluster, keeping every other setting', async (t) => {
  const dir = await tempDir(t);
  const envFile = path.join(dir, 'etcd');
  const rendered = await renderedEnv();
  await fs.writeFile(envFile, rendered);
  const dataDir = path.join(dir, 'var/lib/etcd/default');
  await fs.mkdir(path.join(dataDir, 'member/wal'), { recursive: true });
  await fs.writeFile(path.join(dataDir, 'member/wal/0000000000000000-0000000000000000.wal'), 'old');
  const script = rejoinScript({ name: 'node3', dataDir, peerURLs: 'https://172.26.0.23:2380' }, envFile);
  await execa('sh', ['-c', script]);
  await execa('sh', ['-c', script]);
  await t.throwsAsync(fs.access(dataDir));
  await fs.access(path.dirname(dataDir));
  const after = await fs.readFile(envFile, 'utf8');
  t.is(after.split('\n').filter((l) => l.startsWith('ETCD_INITIAL_CLUSTER_STATE=')).length, 1);
  t.is(keyValues(after).get('ETCD_INITIAL_CLUSTER_STATE'), 'existing');
  t.is(keyValues(rendered).get('ETCD_INITIAL_CLUSTER_STATE'), 'new');
  const others = (text: string) => [...keyValues(text)].filter(([k]) => k !== 'ETCD_INITIAL_CLUSTER_STATE');
  t.deepEqual(others(after), others(rendered));
});

test('quorum of the members left', (t) => {
  t.deepEqual([1, 2, 3, 4, 5].map(quorum), [1, 2, 2, 3, 3]);
});
