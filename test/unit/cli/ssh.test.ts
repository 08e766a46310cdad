import path from 'node:path';
import test from 'ava';
import { metalLab } from '../../support/run-cli.js';
import { tempDir } from '../../support/temp-dir.js';

// Nothing here connects anywhere: these cover how `metal-lab ssh` turns a lab and a node into a target.
const cli = (home: string, args: string[]) => metalLab(['ssh', ...args], { METAL_LAB_HOME: home });

test('ssh: a lab without its SSH key is one line pointing at metal-lab up, exit 1', async (t) => {
  const home = await tempDir(t);
  const r = await cli(home, ['node1', '--lab', 'mini', 'true']);
  t.is(r.exitCode, 1);
  const key = path.join(home, 'labs/mini/pki/ssh/id_ed25519');
  t.is(r.stderr, `metal-lab: lab mini has no SSH key (${key}). Fix: bring the lab up first: metal-lab up lab/mini.yaml`);
});

test('ssh: an unknown node or a bad --timeout is a usage error, exit 2', async (t) => {
  const home = await tempDir(t);
  const r = await cli(home, ['node9', '--lab', 'mini']);
  t.is(r.exitCode, 2);
  t.is(r.stderr, 'metal-lab: lab mini has no node named node9. Fix: use one of: node1, node2');
  const bad = await cli(home, ['node1', '--lab', 'mini', '--timeout', '0', 'true']);
  t.is(bad.exitCode, 2);
  t.regex(bad.stderr, /--timeout 0 is not a positive number of seconds/);
});
