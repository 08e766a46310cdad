import fs from 'node:fs/promises';
import test from 'ava';
import { hostLayout } from '../../src/ground/host-layout.js';
import { nodeSshTarget } from '../../src/node/lab-target.js';
import { connectNode } from '../../src/node/ssh.js';
import { waitForSsh } from '../../src/node/wait.js';
import { loadLab } from '../../src/spec/lab.js';
import { assertNothingLeft, cli, ownLabAndSnapshots } from '../e2e/helpers.js';

// A workshop's chapter skip on lab/mini.yaml: installed nodes saved, the lab taken down, brought
// back from the snapshot on the same MACs and addresses, with clocks on the host's time.
// Under TCG: install and first boot take most of it (about 10 minutes here), save and restore a minute or two.
const ID = 'mini';
const SNAPSHOT = 'e2e-installed';

interface Status { nodes: Array<{ node: string; state: string; mac: string; ip: string }> }

/** Seconds each node's clock is off the host's, read over SSH. */
async function clockSkews(): Promise<Record<string, number>> {
  const lab = await loadLab(ID);
  const paths = hostLayout().lab(ID);
  const skews: Record<string, number> = {};
  for (const node of lab.nodes) {
    const target = await nodeSshTarget(lab, node, paths, 6);
    await waitForSsh(target, { timeoutMs: 15 * 60_000 });
    const s = await connectNode(target);
    try {
      const r = await s.run('date +%s.%N', { timeoutMs: 60_000 });
      skews[node.name] = Math.abs(Date.now() / 1000 - Number(r.stdout.trim()));
    } finally {
      await s.close();
    }
  }
  return skews;
}

test('up, snapshot save (and one cut short by Ctrl-C), down, up --from: the same nodes on the same MACs and addresses, clocks on the host\'s, down --purge leaves nothing', async (t) => {
  t.timeout(60 * 60_000);
  await ownLabAndSnapshots(t, ID);

  const up = await cli(['up', ID, '--boot', 'install']);
  t.is(up.exitCode, 0, String(up.all));
  await clockSkews();
  const before = JSON.parse(String((await cli(['status', ID, '--json'])).stdout)) as Status;

  // Ctrl-C while the memory is written: the nodes run on, and no half snapshot is left.
  const interrupted = cli(['snapshot', 'save', 'interrupted', ID]);
  await new Promise<void>((resolve) => {
    interrupted.all!.on('data', (d: Buffer) => {
      if (/save memory/.test(d.toString())) resolve();
    });
    void interrupted.finally(resolve);
  });
  interrupted.kill('SIGINT');
  const stopped = await interrupted;
  t.is(stopped.exitCode, 130, String(stopped.all));
  t.regex(String(stopped.all), /SIGINT: stopping and cleaning up/);
  const during = JSON.parse(String((await cli(['status', ID, '--json'])).stdout)) as Status;
  t.true(during.nodes.every((n) => n.state === 'running'), `after Ctrl-C: ${JSON.stringify(during.nodes)}`);
  t.deepEqual(await fs.readdir(hostLayout().snapshots(ID)).catch(() => []), [], 'no snapshot, whole or partial');

  const save = await cli(['snapshot', 'save', SNAPSHOT, ID]);
  t.is(save.exitCode, 0, String(save.all));
  t.regex(String(save.all), /clock was .* behind the host, stepped to the host's time/);
  const list = await cli(['snapshot', 'list', ID, '--json']);
  t.deepEqual((JSON.parse(String(list.stdout)) as Array<{ name: string; nodes: number }>).map((s) => [s.name, s.nodes]), [[SNAPSHOT, 2]]);

  const down = await cli(['down', ID]);
  t.is(down.exitCode, 0, String(down.all));
  t.regex(String(down.all), /kept 1 snapshots/);

  const restored = await cli(['up', ID, '--from', SNAPSHOT]);
  t.is(restored.exitCode, 0, String(restored.all));
  t.regex(String(restored.all), /node1: clock was .* behind the host, stepped to the host's time/);
  const after = JSON.parse(String((await cli(['status', ID, '--json'])).stdout)) as Status;
  const nodes = (s: Status) => s.nodes.map((n) => [n.node, n.mac, n.ip]);
  t.deepEqual(nodes(after), nodes(before));
  t.true(after.nodes.every((n) => n.state === 'running'), JSON.stringify(after.nodes));
  for (const [node, skew] of Object.entries(await clockSkews())) t.true(skew < 5, `${node}'s clock is ${skew.toFixed(1)} s off the host's`);

  const again = await cli(['up', ID, '--from', SNAPSHOT]);
  t.is(again.exitCode, 2, 'a lab that is up is not overwritten');

  const purge = await cli(['down', ID, '--purge']);
  t.is(purge.exitCode, 0, String(purge.all));
  await assertNothingLeft(t, ID);
  await t.throwsAsync(fs.stat(hostLayout().snapshots(ID)));
});
