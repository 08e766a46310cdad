import fs from 'node:fs/promises';
import test from 'ava';
import { LabError } from '../../../src/errors.js';
import { hostLayout } from '../../../src/ground/host-layout.js';
import { writeLabState } from '../../../src/lab/state.js';
import { ensureLabPki } from '../../../src/pki/ensure.js';
import { labChannels } from '../../../src/release/lab-channels.js';
import { loadLab } from '../../../src/spec/lab.js';
import { tempDir } from '../../support/temp-dir.js';
import { testKey } from '../../support/test-keys.js';

const lab = await loadLab('mini');

test('a lab that is not up, or up without a release key, is one line pointing at up --boot install, exit 2', async (t) => {
  const home = await tempDir(t);
  const host = hostLayout({ METAL_LAB_HOME: home });
  const paths = host.lab('mini');
  const notUp = await t.throwsAsync(labChannels(lab, host), { instanceOf: LabError });
  t.is(notUp?.exitCode, 2);
  t.is(notUp?.line(), `lab mini is not up (no state in ${home}/labs/mini). Fix: bring it up first: metal-lab up lab/mini.yaml --boot install`);

  // Up with --boot live: state, but no PKI.
  await fs.mkdir(paths.root, { recursive: true });
  await writeLabState(paths, { id: 'mini', lab, accel: 'tcg', timeoutScale: 1, createdAt: new Date().toISOString() });
  const noKey = await t.throwsAsync(labChannels(lab, host), { instanceOf: LabError });
  t.is(noKey?.exitCode, 2);
  t.is(
    noKey?.line(),
    `lab mini has no release key (${home}/labs/mini/pki/release.key). Fix: run metal-lab up lab/mini.yaml --boot install: it adds the key to the lab's PKI and keeps the rest`,
  );
});

test("a lab that is up: its boot server's assets dir, the SERVER= nodes use, and the PKI's release key pair", async (t) => {
  const home = await tempDir(t);
  const host = hostLayout({ METAL_LAB_HOME: home });
  const paths = host.lab('mini');
  const pki = await ensureLabPki(lab, { dir: paths.pki, newKey: testKey });
  await writeLabState(paths, { id: 'mini', lab, accel: 'tcg', timeoutScale: 1, createdAt: new Date().toISOString() });
  const at = await labChannels(lab, host);
  t.like(at, { assetsDir: `${home}/labs/mini/matchbox/assets`, server: 'http://172.19.0.1:8080/assets', publicFile: `${home}/labs/mini/pki/release.pub` });
  t.is(at.key.reveal(), pki.release.key.reveal());
  t.is(at.publicPem, pki.release.publicPem);
});
