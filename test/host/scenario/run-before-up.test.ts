import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { needs, libvirtd, virsh } from '../../support/needs.js';

needs(virsh, libvirtd)('a run that fails before up made its lab says why in one line, not under a warning for every lab file it never made', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'run-before-up-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const [home, cache, artifacts] = ['home', 'cache', 'artifacts'].map((d) => path.join(dir, d)) as [string, string, string];
  // An empty cache: the update operator is not built, and nothing says where its source is.
  // Its own process: a run's progress goes to the process's stderr.
  const r = await execa(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', 'bootstrap', '--artifacts', artifacts], {
    env: { METAL_LAB_HOME: home, METAL_LAB_CACHE: cache, METAL_LAB_FLUO_SOURCE: '' },
    reject: false,
  });
  t.not(r.exitCode, 0);
  const out = `${r.stdout}\n${r.stderr}`;
  t.regex(out, /update operator image failed: FLUO v0\.9\.0 \(the update operator\) is not built/);
  t.regex(out, /lab update was not created: no lab artifacts or journals to collect/);
  t.notRegex(out, /not collected|no journal/);
  t.false(existsSync(path.join(home, 'labs', 'update')));
  t.true((await readdir(artifacts)).includes('junit.xml'));
});
