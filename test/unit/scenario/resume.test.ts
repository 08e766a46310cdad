import fs from 'node:fs/promises';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { hostLayout } from '../../../src/ground/host-layout.js';
import { snapshotNames, type SnapshotManifest } from '../../../src/lab/snapshot-manifest.js';
import { matchingSnapshot, recipeKey } from '../../../src/scenario/resume.js';
import { loadLab } from '../../../src/spec/lab.js';
import type { ScenarioStep } from '../../../src/spec/scenario.js';
import { writeSnapshot } from '../../support/snapshot-fixture.js';
import { tempDir } from '../../support/temp-dir.js';

/** Which snapshot a `resume:` takes: one its own steps made from this lab file; any other is removed and said why. */

const lab = await loadLab('mini');
const steps: ScenarioStep[] = [{ kind: 'up', boot: 'install' }, { kind: 'wait', stage: 'ssh', timeoutS: 60 }];
const step = { kind: 'resume' as const, snapshot: 'installed', steps, timeoutS: 120 };
const recipe = recipeKey(steps);

async function finder(t: ExecutionContext, edit?: (m: SnapshotManifest) => void) {
  const host = hostLayout({ METAL_LAB_HOME: await tempDir(t), METAL_LAB_CACHE: '/nonexistent' });
  if (edit) await writeSnapshot(host, lab, 'installed', edit);
  const said: string[] = [];
  return { host, said, ctx: { lab, host, report: { info: (m: string) => said.push(m) } } };
}

test('none yet: the steps run, and the run says so', async (t) => {
  const f = await finder(t);
  t.is(await matchingSnapshot(f.ctx, step, recipe), undefined);
  t.deepEqual(f.said, ['no snapshot installed of lab mini yet: its 2 steps run, then the lab is saved as it']);
});

test('one made by the same steps from the same lab file is taken', async (t) => {
  const f = await finder(t, (m) => { m.recipe = recipe; });
  t.is((await matchingSnapshot(f.ctx, step, recipe))?.name, 'installed');
  t.deepEqual(f.said, []);
});

for (const [title, edit, why] of [
  ['made by other steps', (m: SnapshotManifest) => { m.recipe = recipeKey(steps.slice(0, 1)); }, /was made by other steps: removed/],
  ['saved by hand', () => {}, /was saved by hand, not by this resume: removed/],
  ['made from another lab file', (m: SnapshotManifest) => {
    m.recipe = recipe;
    m.inputs.lab = { ...m.inputs.lab, nodes: m.inputs.lab.nodes.map((n, i) => (i === 1 ? { ...n, memory: 4096 } : n)) };
  }, /does not match lab\/mini\.yaml: lab file nodes\[1\]\.memory is 4096 in the snapshot, nothing now: removed/],
] as const) {
  test(`one ${title} is removed, with why, and the steps run`, async (t) => {
    const f = await finder(t, edit);
    t.is(await matchingSnapshot(f.ctx, step, recipe), undefined);
    t.is(f.said.length, 1);
    t.regex(f.said[0]!, why);
    t.regex(f.said[0]!, /its 2 steps run and save it again$/);
    t.deepEqual(await snapshotNames(f.host, 'mini'), []);
  });
}

test('a corrupt one is removed too', async (t) => {
  const f = await finder(t, (m) => { m.recipe = recipe; });
  await fs.truncate(path.join(f.host.snapshots('mini'), 'installed', 'disks', 'node1.qcow2'), 2);
  t.is(await matchingSnapshot(f.ctx, step, recipe), undefined);
  t.regex(f.said[0]!, /is corrupt: disks\/node1\.qcow2 has 2 bytes, the manifest says \d+: removed/);
});
