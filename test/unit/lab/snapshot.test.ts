import fs from 'node:fs/promises';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { LabError } from '../../../src/errors.js';
import { hostLayout } from '../../../src/ground/host-layout.js';
import { labInputs } from '../../../src/lab/lab-inputs.js';
import { checkSnapshotName } from '../../../src/ground/snapshot-name.js';
import { checkSnapshotInputs, readSnapshot, snapshotFiles, verifySnapshotDigests } from '../../../src/lab/snapshot-manifest.js';
import { loadLab } from '../../../src/spec/lab.js';
import { metalLab } from '../../support/run-cli.js';
import { writeSnapshot } from '../../support/snapshot-fixture.js';
import { tempDir } from '../../support/temp-dir.js';

/** A state root with snapshot `day1` of lab mini (as lab/mini.yaml reads today), and a CLI on it. */
async function setup(t: ExecutionContext, edit?: Parameters<typeof writeSnapshot>[3]) {
  const home = await tempDir(t);
  const host = hostLayout({ METAL_LAB_HOME: home, METAL_LAB_CACHE: path.join(home, 'cache') });
  const lab = await loadLab('mini');
  const dir = await writeSnapshot(host, lab, 'day1', edit);
  const cli = (args: string[]) => metalLab(args, { METAL_LAB_HOME: home, METAL_LAB_CACHE: path.join(home, 'cache') });
  return { home, host, lab, dir, cli };
}

const tree = async (dir: string) => (await fs.readdir(dir, { recursive: true })).sort();

/** Bad input's promise: exit 2, one line with its fix, nothing on stdout, nothing created under `home`. */
async function refused(t: ExecutionContext, s: Awaited<ReturnType<typeof setup>>, args: string[]): Promise<string> {
  const before = await tree(s.home);
  const r = await s.cli(args);
  t.is(r.exitCode, 2, r.stderr);
  t.is(r.stdout, '');
  t.regex(r.stderr, /^metal-lab: [^\n]+\. Fix: \S[^\n]*$/);
  t.deepEqual(await tree(s.home), before, 'nothing created');
  return r.stderr.replace(/^metal-lab: /, '');
}

test('snapshot names are plain path segments', (t) => {
  for (const ok of ['bootstrapped', 'ch3', 'day-1.after_etcd']) t.notThrows(() => checkSnapshotName(ok));
  for (const bad of ['', '.hidden', '../x', 'a/b', 'Chapter3', 'has space', 'x'.repeat(64), '-x']) {
    const err = t.throws(() => checkSnapshotName(bad), { instanceOf: LabError });
    t.is(err.exitCode, 2);
    t.regex(err.line(), /is not a plain name\. Fix: use lowercase letters/);
  }
});

test('up --from a snapshot that does not exist names the ones there are', async (t) => {
  const s = await setup(t);
  t.is(await refused(t, s, ['up', 'mini', '--from', 'chapter3']), 'lab mini has no snapshot named chapter3. Fix: use one of: day1 (metal-lab snapshot list mini)');
  await fs.rm(s.dir, { recursive: true });
  t.is(await refused(t, s, ['up', 'mini', '--from', 'chapter3']), 'lab mini has no snapshot named chapter3. Fix: save one first: metal-lab up mini, then metal-lab snapshot save chapter3 mini');
});

test('up --from a bad snapshot name is refused before anything', async (t) => {
  const s = await setup(t);
  t.regex(await refused(t, s, ['up', 'mini', '--from', '../../etc']), /^snapshot name "..\/..\/etc" is not a plain name/);
});

test('up --from a snapshot made from another lab file names the field that differs', async (t) => {
  const s = await setup(t, (m) => {
    m.inputs.lab.nodes[1]!.memoryMiB = 1024;
  });
  t.is(await refused(t, s, ['up', 'mini', '--from', 'day1']),
    'snapshot day1 of lab mini does not match mini: lab file nodes[1].memoryMiB is 1024 in the snapshot, 512 now. Fix: restore it with the lab file it was made from, or save a new one: metal-lab up mini, then metal-lab snapshot save day1 mini');
});

test('up --from a snapshot with a file missing or cut short says which, and how to fix it', async (t) => {
  const s = await setup(t);
  await fs.rm(path.join(s.dir, snapshotFiles.memory('node2')));
  t.is(await refused(t, s, ['up', 'mini', '--from', 'day1']),
    'snapshot day1 of lab mini is corrupt: memory/node2.save is missing. Fix: remove it (metal-lab snapshot rm day1 mini), then bring the lab up and save it again');
  await fs.writeFile(path.join(s.dir, snapshotFiles.memory('node2')), 'short');
  t.regex(await refused(t, s, ['up', 'mini', '--from', 'day1']), /^snapshot day1 of lab mini is corrupt: memory\/node2\.save has 5 bytes, the manifest says 15\./);
});

test('up --from a snapshot whose manifest is missing, not JSON or another lab\'s is corrupt', async (t) => {
  const s = await setup(t);
  const manifest = path.join(s.dir, 'manifest.json');
  const text = await fs.readFile(manifest, 'utf8');
  await fs.writeFile(manifest, '{ not json');
  t.regex(await refused(t, s, ['up', 'mini', '--from', 'day1']), /^snapshot day1 of lab mini is corrupt: its manifest\.json is not JSON\. Fix: remove it/);
  await fs.writeFile(manifest, text.replace('"lab":"mini"', '"lab":"etcd"'));
  t.regex(await refused(t, s, ['up', 'mini', '--from', 'day1']), /is corrupt: its manifest\.json is not a lab mini snapshot manifest/);
  await fs.rm(manifest);
  t.regex(await refused(t, s, ['up', 'mini', '--from', 'day1']), /is corrupt: its manifest\.json is missing/);
});

test('a file whose content changed (same size) fails its digest', async (t) => {
  const s = await setup(t);
  const m = await readSnapshot(s.host, 'mini', 'day1');
  await t.notThrowsAsync(verifySnapshotDigests(s.dir, m));
  await fs.writeFile(path.join(s.dir, snapshotFiles.disk('node1')), 'DISK of node1');
  const seen: string[] = [];
  const err = await t.throwsAsync(verifySnapshotDigests(s.dir, m, (rel) => seen.push(rel)), { instanceOf: LabError });
  t.is(err.exitCode, 2);
  t.is(err.line(), 'snapshot day1 of lab mini is corrupt: disks/node1.qcow2 does not match its sha256 in the manifest. Fix: remove it (metal-lab snapshot rm day1 mini), then bring the lab up and save it again');
  t.deepEqual(seen, ['disks/node1.qcow2'], 'each file is named as its check starts');
});

test('a snapshot made from other images or another Kubernetes build names the input', async (t) => {
  const s = await setup(t);
  const m = await readSnapshot(s.host, 'mini', 'day1');
  t.notThrows(() => checkSnapshotInputs(m, m.inputs));
  const now = labInputs({ boot: 'install', lab: s.lab, live: { key: 'live-2' }, disk: { key: 'disk-1' }, images: [] });
  const err = t.throws(() => checkSnapshotInputs(m, now), { instanceOf: LabError });
  t.is(err.exitCode, 2);
  t.is(err.line(), 'snapshot day1 of lab mini was made from other inputs: live image is "live-1" in the snapshot, "live-2" now. Fix: save a new one from today\'s: metal-lab snapshot rm day1 mini, metal-lab up mini, metal-lab snapshot save day1 mini');
});

test('snapshot list shows whole ones and corrupt ones with their problem; rm removes either', async (t) => {
  const s = await setup(t);
  await writeSnapshot(s.host, s.lab, 'broken');
  await fs.rm(path.join(s.dir, '..', 'broken', 'manifest.json'));
  const r = await s.cli(['snapshot', 'list', '--json']);
  t.is(r.exitCode, 0, r.stderr);
  const list = JSON.parse(r.stdout) as Array<{ name: string; nodes?: number; problem?: string }>;
  t.deepEqual(list.map((x) => [x.name, x.nodes, x.problem]), [
    ['broken', undefined, 'snapshot broken of lab mini is corrupt: its manifest.json is missing'],
    ['day1', 2, undefined],
  ]);
  const table = await s.cli(['snapshot', 'list', 'mini']);
  t.regex(table.stdout, /day1 .*install/);
  t.is((await s.cli(['snapshot', 'rm', 'broken', 'mini'])).stderr, 'metal-lab: removed snapshot broken of lab mini');
  t.is((await s.cli(['snapshot', 'rm', 'day1'])).exitCode, 0);
  t.is((await s.cli(['snapshot', 'list'])).stderr, 'metal-lab: no snapshots: save one with metal-lab snapshot save NAME [lab]');
  await t.throwsAsync(fs.stat(s.host.snapshots('mini')), undefined, 'the last one takes the lab\'s snapshot dir with it');
});

test('snapshot rm of a name that is not there is one line, exit 2', async (t) => {
  const s = await setup(t);
  t.is(await refused(t, s, ['snapshot', 'rm', 'nope', 'mini']), 'lab mini has no snapshot named nope. Fix: use one of: day1 (metal-lab snapshot list mini)');
});

test('snapshot save of a lab that is not up, under a name taken or not plain, is one line, exit 2', async (t) => {
  const s = await setup(t);
  t.is(await refused(t, s, ['snapshot', 'save', 'day2', 'mini']), 'lab mini is not up, so there is nothing to snapshot. Fix: bring it up first: metal-lab up mini');
  t.regex(await refused(t, s, ['snapshot', 'save', 'Day 2', 'mini']), /^snapshot name "Day 2" is not a plain name/);
  await fs.mkdir(s.host.lab('mini').root, { recursive: true });
  await fs.writeFile(s.host.lab('mini').state, JSON.stringify({ id: 'mini', lab: s.lab, accel: 'tcg', timeoutScale: 6, createdAt: '', inputs: (await readSnapshot(s.host, 'mini', 'day1')).inputs }));
  t.is(await refused(t, s, ['snapshot', 'save', 'day1', 'mini']), 'lab mini has a snapshot named day1 already. Fix: pick another name, or remove it first: metal-lab snapshot rm day1 mini');
});
