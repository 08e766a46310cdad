import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { WorkloadProbe } from '../../../src/scenario/rollout-probe.js';
import { pending, waitFor } from '../../../src/toolkit/wait-for.js';

/** A node's NodePort as the probe meets it: answering with a pod's name, gone (refused), or hung. */
class NodePort {
  readonly server: http.Server;
  port = 0;
  hang = false;

  constructor(readonly pod: string) {
    this.server = http.createServer((_req, res) => {
      if (!this.hang) res.end(`${this.pod}\n`);
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  async open(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function nodePorts(t: { teardown(fn: () => Promise<void>): void }): Promise<NodePort[]> {
  const ports = ['web-a', 'web-b', 'web-c'].map((pod) => new NodePort(pod));
  for (const p of ports) await p.open();
  t.teardown(async () => {
    for (const p of ports) if (p.server.listening) await p.close();
  });
  return ports;
}

const withoutTime = (lines: string[]) => lines.map((l) => l.slice(l.indexOf(' ') + 1));

test('a probe fails only when no node answers; the timeline notes each change of the node that answers', async (t) => {
  const [a, b, c] = await nodePorts(t);
  const lines: string[] = [];
  const probe = new WorkloadProbe(
    [a!, b!, c!].map((p, i) => ({ node: `node${i + 1}`, url: p.url })),
    { intervalMs: 10, timeoutMs: 2000, write: (l) => lines.push(l) },
  );
  await probe.tick();
  await probe.tick();
  await a!.close();
  await probe.tick();
  await probe.tick();
  await b!.close();
  c!.hang = true;
  await probe.tick();
  await probe.tick();
  c!.hang = false;
  await probe.tick();
  await a!.open();
  await probe.tick();
  t.deepEqual(withoutTime(lines), [
    'workload: answered via node1 (pod web-a)',
    'workload: answered via node2 (pod web-b)',
    `workload: no node answered (node2: ECONNREFUSED; node1: ECONNREFUSED; node3: no answer within 2000 ms)`,
    'workload: answered via node3 (pod web-c) after 2 failed probes',
  ]);
  t.is(probe.probes, 8);
  t.is(probe.failures.length, 2);
  t.true(probe.failures[0]! <= probe.failures[1]!);
  t.regex(lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z /);
});

test('once started it probes every interval until stopped', async (t) => {
  const ports = await nodePorts(t);
  const probe = new WorkloadProbe(ports.map((p, i) => ({ node: `node${i + 1}`, url: p.url })), { intervalMs: 20, timeoutMs: 2000, write: () => undefined });
  probe.start();
  // However busy the machine: three probes come, one after another.
  await waitFor('three probes', async () => probe.probes >= 3 || pending(`${probe.probes} probes`), { deadline: Date.now() + 30_000, intervalMs: 20 });
  await probe.stop();
  const counted = probe.probes;
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.is(probe.probes, counted, 'none after stop');
  t.deepEqual(probe.failures, []);
});
