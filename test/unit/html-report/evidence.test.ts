import test from 'ava';
import { collectedSources, consoleTail, resolveEvidence } from '../../../src/html-report/evidence.js';
import type { TimelineEvent } from '../../../src/report/timeline.js';

const files = ['console/node1.log', 'console/node11.log', 'matchbox-requests.jsonl', 'journal/node1.log'];

test("a failure's evidence becomes links to the artifacts the run copied, by the collect record, by path, or by suffix", (t) => {
  const collect: TimelineEvent = {
    t: '2026-11-28T09:11:09.000Z', ms: 1, kind: 'info', step: 'run', message: 'collected 2 of 2 artifacts',
    data: { copied: { 'matchbox-requests.jsonl': '/var/lib/metal-lab/labs/etcd/requests.jsonl', 'console/node1.log': '/var/lib/metal-lab/labs/etcd/console/node1.log' } },
  };
  const sources = collectedSources([collect]);
  const evidence = [
    '/var/lib/metal-lab/labs/etcd/requests.jsonl',
    '/srv/run/journal/node1.log',
    '/var/lib/metal-lab/labs/other/console/node11.log',
    'last request /assets/labos-live/initrd.img -> 200 at 2026-11-28T08:59:16.000Z',
    '/var/lib/metal-lab/labs/etcd/console/node2.log',
  ];
  t.deepEqual(resolveEvidence(evidence, '/srv/run', files, sources), [
    { text: evidence[0]!, file: 'matchbox-requests.jsonl' },
    { text: evidence[1]!, file: 'journal/node1.log' },
    { text: evidence[2]!, file: 'console/node11.log' },
    { text: evidence[3]! },
    { text: evidence[4]! },
  ]);
  t.is(collectedSources([{ ...collect, data: { copied: ['console/node1.log'] } }]).size, 0, 'a timeline from before the record lists names only');
});

test('a console tail reads as the terminal showed it: escapes stripped, carriage-return overwrites applied, blank lines dropped', (t) => {
  const log = '\u001b[2J\u001b[0mSeaBIOS\r\n\r\nPress Ctrl-B...\r                 \rBooting from ROM...\r\n\u001b[0;1miPXE 1.21\u001b[0m\nlast\u0007 line\n';
  t.deepEqual(consoleTail(log, 10), ['SeaBIOS', 'Booting from ROM...', 'iPXE 1.21', 'last line']);
  t.deepEqual(consoleTail(log, 2), ['iPXE 1.21', 'last line']);
});
