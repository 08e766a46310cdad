import test from 'ava';
import { prefixEnd, rangeKeys, WRITES_PREFIX } from '../../../src/scenario/etcd-writes.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test("a prefix's range ends at the prefix with its last byte raised, as etcdctl --prefix asks", (t) => {
  t.is(prefixEnd(WRITES_PREFIX), '/metal-lab/writes0');
  t.true(`${WRITES_PREFIX}999999` < prefixEnd(WRITES_PREFIX));
  t.true('/metal-lab/writes' < WRITES_PREFIX && prefixEnd(WRITES_PREFIX) > WRITES_PREFIX);
});

test("the v3 gateway's range answer: base64 keys and values; no kvs when nothing matched; an empty value", (t) => {
  // The shape etcd 3.4's gateway answers /v3/kv/range with (int64s as strings, bytes as base64).
  const answer = {
    header: { cluster_id: '14841639068965178418', member_id: '10276657743932975437', revision: '9', raft_term: '2' },
    kvs: [
      { key: b64('/metal-lab/writes/000001'), create_revision: '8', mod_revision: '8', version: '1', value: b64('write-1') },
      { key: b64('/metal-lab/writes/000002'), create_revision: '9', mod_revision: '9', version: '1' },
    ],
    count: '2',
  };
  t.deepEqual([...rangeKeys(answer)], [['/metal-lab/writes/000001', 'write-1'], ['/metal-lab/writes/000002', '']]);
  t.deepEqual([...rangeKeys({})], []);
});
