import { readdir } from 'node:fs/promises';
import test from 'ava';
import { metalLab } from '../../support/run-cli.js';
import { tempDir } from '../../support/temp-dir.js';

// Nothing here connects anywhere: a lab that is not up has no nodes to copy keys to.
test('secrets: a lab that is not up is one line pointing at up --boot install, exit 2, and nothing written', async (t) => {
  const home = await tempDir(t);
  const r = await metalLab(['secrets', 'etcd'], { METAL_LAB_HOME: home });
  t.is(r.exitCode, 2);
  t.is(r.stderr, 'metal-lab: lab etcd is not up. Fix: bring it up first: metal-lab up etcd --boot install');
  t.deepEqual(await readdir(home), []);
});
