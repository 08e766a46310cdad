import test from 'ava';
import { memberStarted, parseMembers } from '../../../src/scenario/etcd.js';

// etcdctl 3.4.23 (labos's), against a local 3-member cluster: n3 stopped, removed and added back,
// before it started. `member list` (simple) of the same cluster printed, for the same members:
//   77fbfd6041c9f8ba, started, n1, http://127.0.0.1:23801, http://127.0.0.1:23791, false
//   a023d910eeb241cb, started, n2, http://127.0.0.1:23802, http://127.0.0.1:23792, false
//   b7e3f4310c39d60d, unstarted, , http://127.0.0.1:23803, , false
const LIST_WITH_UNSTARTED =
  '{"header":{"cluster_id":8570459336700167655,"member_id":8645782499530242234,"raft_term":2},"members":[' +
  '{"ID":8645782499530242234,"name":"n1","peerURLs":["http://127.0.0.1:23801"],"clientURLs":["http://127.0.0.1:23791"]},' +
  '{"ID":11539305337000706507,"name":"n2","peerURLs":["http://127.0.0.1:23802"],"clientURLs":["http://127.0.0.1:23792"]},' +
  '{"ID":13250703020149822989,"peerURLs":["http://127.0.0.1:23803"]}]}\n';

test('member IDs beyond 2^53 come out as the hex etcdctl prints, digit for digit', (t) => {
  const members = parseMembers(LIST_WITH_UNSTARTED);
  t.deepEqual(members.map((m) => m.id), ['77fbfd6041c9f8ba', 'a023d910eeb241cb', 'b7e3f4310c39d60d']);
  // What JSON.parse alone would have made of the last one.
  t.not(BigInt(JSON.parse('13250703020149822989') as number).toString(16), 'b7e3f4310c39d60d');
});

test('an added member that has not started has no name and no client URLs, and does not count as started', (t) => {
  const [n1, , added] = parseMembers(LIST_WITH_UNSTARTED);
  t.deepEqual(added, { id: 'b7e3f4310c39d60d', name: '', peerURLs: ['http://127.0.0.1:23803'], clientURLs: [] });
  t.false(memberStarted(added!));
  t.true(memberStarted(n1!));
  t.deepEqual(n1, { id: '77fbfd6041c9f8ba', name: 'n1', peerURLs: ['http://127.0.0.1:23801'], clientURLs: ['http://127.0.0.1:23791'] });
});

test('the same member once started: named, with its client URLs, its ID unchanged', (t) => {
  // After n3 started with initial-cluster-state existing on an empty data dir.
  const [, , n3] = parseMembers(
    '{"header":{"cluster_id":8570459336700167655,"member_id":8645782499530242234,"raft_term":2},"members":[' +
      '{"ID":8645782499530242234,"name":"n1","peerURLs":["http://127.0.0.1:23801"],"clientURLs":["http://127.0.0.1:23791"]},' +
      '{"ID":11539305337000706507,"name":"n2","peerURLs":["http://127.0.0.1:23802"],"clientURLs":["http://127.0.0.1:23792"]},' +
      '{"ID":13250703020149822989,"name":"n3","peerURLs":["http://127.0.0.1:23803"],"clientURLs":["http://127.0.0.1:23793"]}]}',
  );
  t.is(n3!.id, 'b7e3f4310c39d60d');
  t.true(memberStarted(n3!));
});

test('an ID with a leading zero nibble keeps the digits etcdctl prints (it pads nothing)', (t) => {
  // 0x0ed5df5b1db55e54: Go's %x prints no leading zero, nor does toString(16).
  const [m] = parseMembers('{"members":[{"ID":1069006069003804244,"name":"a","peerURLs":["https://10.0.0.1:2380"],"clientURLs":["https://10.0.0.1:2379"]}]}');
  t.is(m!.id, 'ed5df5b1db55e54');
  t.is(BigInt(`0x${m!.id}`), 1069006069003804244n);
});
