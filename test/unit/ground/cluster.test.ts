import { readFile } from 'node:fs/promises';
import test from 'ava';
import { ROLLOUT_GUARD_VERSION, rolloutGuardImageRef } from '../../../src/ground/cluster.js';

test("the rollout guard's image carries metal-lab's version, as package.json has it", async (t) => {
  const { version } = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  t.is(ROLLOUT_GUARD_VERSION, version);
  t.is(rolloutGuardImageRef(), `metal-lab.local/rollout-guard:v${version}`);
});
