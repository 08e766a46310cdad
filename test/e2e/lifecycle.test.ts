import { spawn } from 'node:child_process';
import test from 'ava';
import { assertNothingLeft, cli } from './helpers.js';
import { libvirtd, needs, virsh } from '../support/needs.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findLabObjects } from '../../src/lab/down.js';
import { hostLayout } from '../../src/ground/host-layout.js';
import { bootServerPids, pidFromFile } from '../../src/ground/processes.js';
import { labObjectNames } from '../../src/ground/lab-spec.js';
import { domainPidFile } from '../../src/libvirt/domain.js';
import { loadLab } from '../../src/spec/lab.js';
import { listeningSockets, offBridge } from '../support/listening.js';
import { waitFor } from '../../src/toolkit/wait-for.js';
import { selfCommand } from '../../src/lab/self.js';
import { listDomains } from '../../src/libvirt/domain.js';

const LAB = 'test/e2e/labs/life.yaml';
const e2e = needs(virsh, libvirtd).serial;

test.before(async () => {
  await cli(['down', 'life']);
});

e2e('bad input: one line naming file, field and fix, exit 2, nothing created', async (t) => {
  const r = await cli(['up', 'test/e2e/labs/bad-mac.yaml']);
  t.is(r.exitCode, 2);
  const lines = String(r.stderr).trim().split('\n');
  t.is(lines.length, 1, String(r.stderr));
  t.regex(lines[0]!, /bad-mac\.yaml: nodes\[0\]\.mac: .*multicast.*Fix: /i);
  await assertNothingLeft(t, 'badmac');
});

e2e('up is idempotent and down removes everything', async (t) => {
  // A failed assertion ends the test: the lab must not outlive it into the next one.
  t.teardown(async () => {
    await cli(['down', 'life']);
  });
  const first = await cli(['up', LAB, '--json']);
  t.is(first.exitCode, 0, String(first.all));
  const created = JSON.parse(String(first.stdout)) as { changes: Record<string, string> };
  t.is(created.changes.network, 'created');
  t.is(created.changes.node1, 'created');

  const again = await cli(['up', LAB, '--json']);
  t.is(again.exitCode, 0, String(again.all));
  const second = JSON.parse(String(again.stdout)) as { changes: Record<string, string> };
  t.deepEqual(new Set(Object.values(second.changes)), new Set(['unchanged']), JSON.stringify(second.changes));

  const status = await cli(['status', 'life', '--json']);
  const s = JSON.parse(String(status.stdout)) as { network: string; bootServer: string; nodes: Array<{ state: string; mac: string }> };
  t.is(s.network, 'active');
  t.is(s.bootServer, 'running');
  t.is(s.nodes[0]!.state, 'running');
  t.is(s.nodes[0]!.mac, '52:54:00:d7:99:c7');

  // Every lab service listens on the lab bridge only: its addresses, or (DHCP) bound to its device.
  const lab = await loadLab(LAB);
  const names = labObjectNames(lab);
  const pids = [
    ...(await bootServerPids(hostLayout().lab('life'))),
    pidFromFile(`/run/libvirt/network/${names.network}.pid`),
    pidFromFile(domainPidFile(names.domain('node1'))),
  ].filter((pid) => pid !== undefined);
  const sockets = await listeningSockets(pids);
  t.log(sockets.map((k) => `${k.command} ${k.proto} ${k.local}`).join('\n'));
  t.true(sockets.some((k) => k.command === 'dnsmasq') && sockets.some((k) => k.local === `${lab.bootServer.address}:${lab.bootServer.port}`), 'the lab listens');
  t.deepEqual(await offBridge(sockets, lab.network.bridge), [], 'no lab socket off the bridge');

  const down = await cli(['down', 'life']);
  t.is(down.exitCode, 0, String(down.all));
  await assertNothingLeft(t, 'life');
});

e2e('Ctrl-C during up cleans up', async (t) => {
  const up = cli(['up', LAB]);
  // Interrupt as soon as the lab has started creating things (its state dir comes first).
  await waitFor('the lab state dir', async () => fs.existsSync(hostLayout().lab('life').root) || undefined, { deadline: Date.now() + 120_000, intervalMs: 20 });
  up.kill('SIGINT');
  const r = await up;
  t.is(r.exitCode, 130, String(r.all));
  await assertNothingLeft(t, 'life');
});

e2e('Ctrl-C during run ends the running step at once, exits 130 and removes the lab', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'metal-lab-ctrlc-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const run = cli(['run', 'test/e2e/scenarios/ctrl-c.yaml', '--artifacts', dir, '--json']);
  let out = '';
  run.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  await waitFor('the pause step', async () => /^… pause$/m.test(out) || undefined, { deadline: Date.now() + 600_000, intervalMs: 200 });
  const interrupted = Date.now();
  run.kill('SIGINT');
  const r = await run;
  t.is(r.exitCode, 130, String(r.all));
  t.regex(String(r.stderr), /pause failed: interrupted by SIGINT/);
  // A booted live node has no journal to collect: the exit is the step's end and `down`.
  t.true(Date.now() - interrupted < 60_000, `exited ${Date.now() - interrupted} ms after the SIGINT`);
  await assertNothingLeft(t, 'life');
});

e2e('after kill -9 of up, down still removes everything', async (t) => {
  const up = cli(['up', LAB]);
  // The boot server itself: any process naming the lab's dir would do for down, but a virsh that
  // up runs on a rendered file names it too, and ends with up.
  // It starts beside the network: the kill comes once both are there.
  const server = await waitFor('the boot server process and the network', async () => {
    const [pid] = await bootServerPids(hostLayout().lab('life'));
    return pid !== undefined && (await findLabObjects('life')).network ? pid : undefined;
  }, { deadline: Date.now() + 120_000, intervalMs: 200 });
  up.kill('SIGKILL');
  await up;
  const left = await findLabObjects('life');
  t.truthy(left.network, 'the killed up had created the network');
  t.true(left.pids.includes(server), 'the boot server survives its parent');
  const down = await cli(['down', 'life']);
  t.is(down.exitCode, 0, String(down.all));
  await assertNothingLeft(t, 'life');
});

e2e('a reader that stops after the first line does not stop up halfway', async (t) => {
  t.teardown(async () => {
    await cli(['down', 'life']);
  });
  // As `metal-lab up 2>&1 | head -1` has it: both streams closed once the first line came.
  const self = selfCommand();
  const up = spawn(self.file, [...self.args, 'up', LAB], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
  up.stderr.once('data', () => {
    up.stdout.destroy();
    up.stderr.destroy();
  });
  const code = await new Promise<number | null>((resolve) => up.on('exit', resolve));
  t.is(code, 0, 'up went on to its end');
  const lab = await loadLab(LAB);
  const names = lab.nodes.map((n) => labObjectNames(lab).domain(n.name));
  const states = new Map((await listDomains()).map((d) => [d.name, d.state]));
  t.deepEqual(names.map((name) => states.get(name)), names.map(() => 'running'), 'every VM of the lab runs');
});
