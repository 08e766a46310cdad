import test from 'ava';
import path from 'node:path';
import fs from 'node:fs/promises';
import { bootPhases, requestsByNode } from '../../../src/html-report/boot-phases.js';
import { readRequestLog } from '../../../src/matchbox/request-log.js';
import type { RequestLogEntry } from '../../../src/matchbox/types.js';
import { runFixtureDir, runFixtureTimeline, type RunFixture } from '../../support/run-fixtures.js';

async function fixture(name: RunFixture) {
  const dir = runFixtureDir(name);
  const doc = await runFixtureTimeline(name);
  const byNode = requestsByNode(await readRequestLog(path.join(dir, 'matchbox-requests.jsonl')), JSON.parse(await fs.readFile(path.join(dir, 'leases.json'), 'utf8')));
  const endMs = Date.parse(doc.finishedAt!) - Date.parse(doc.startedAt);
  return { byNode, phases: (node: string) => bootPhases(node, byNode.get(node)!, Date.parse(doc.startedAt), endMs), endMs };
}

const shape = (bars: ReturnType<typeof bootPhases>) => bars.map((b) => `${b.label} ${b.outcome}`);

test('installed nodes: PXE, install, first boot and Ignition, each from one milestone of its requests to the next', async (t) => {
  const { phases } = await fixture('update-interrupted');
  for (const node of ['node1', 'node2', 'node3']) t.deepEqual(shape(phases(node)), ['PXE ok', 'install ok', 'first boot ok', 'Ignition ok'], node);
  const [pxe, install, firstBoot, ignition] = phases('node2');
  // node2 asked for /boot.ipxe at 00:45:37.088, 75 s into a run started at 00:44:22.129.
  t.is(pxe!.startMs, 74_959);
  t.is(pxe!.endMs, install!.startMs);
  t.is(install!.detail, 'live system up → labos written to disk');
  t.is(firstBoot!.endMs, ignition!.startMs);
  t.is(ignition!.detail, 'Ignition fetched its config → first boot reported');
});

test('a node stuck in a phase: the phase is unfinished and runs to the end of the run, naming its last request', async (t) => {
  const { phases, endMs } = await fixture('etcd-install-timeout');
  t.deepEqual(shape(phases('node1')), ['PXE unfinished'], 'node1 fetched its kernel and initrd and was not heard of again');
  t.is(phases('node1')[0]!.endMs, endMs);
  t.regex(phases('node1')[0]!.detail!, /^firmware fetched \/boot\.ipxe, then no "live system up" before the run ended \(its last request: \/assets\/labos-live\/initrd\.img at \+\d+m\d\ds\)$/);
  t.deepEqual(shape(phases('node2')), ['PXE ok', 'install ok', 'first boot ok', 'Ignition unfinished'], 'node2 fetched its Ignition config and never reported its first boot');
});

test('a live node that reached userspace is done: no install phase follows', (t) => {
  const at = (s: number) => new Date(Date.UTC(2026, 10, 28, 9, 31, s)).toISOString();
  const req = (s: number, p: string, labels: Record<string, string> = {}): RequestLogEntry => ({ time: at(s), client: '172.19.0.21', method: 'GET', path: p, labels, status: 200 });
  const requests = [req(18, '/boot.ipxe'), req(19, '/ipxe', { mac: '52:54:00:a1:9c:ae', hostname: 'node1' }), req(22, '/assets/labos-live/vmlinuz'), req(33, '/lab/event', { stage: 'userspace' })];
  const bars = bootPhases('node1', requests, Date.parse(at(0)), 60_000);
  t.deepEqual(bars.map((b) => [b.label, b.outcome, b.startMs, b.endMs]), [['PXE', 'ok', 18_000, 33_000]]);
  // Without leases, iPXE's /ipxe request names the node, its MAC and its address.
  t.deepEqual([...requestsByNode(requests, [])].map(([node, mine]) => [node, mine.length]), [['node1', 4]]);
});
