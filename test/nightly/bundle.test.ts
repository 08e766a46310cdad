import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { bundleAptOptions, loadedBundle } from '../../src/ground/bundle-layout.js';
import { LAB_PACKAGES } from '../../src/setup/host.js';
import { cli, readTimeline } from '../e2e/helpers.js';
import { fluoSource, SHARED_FLUO_SOURCE } from '../support/fluo.js';
import { libvirtd, needs, program, root, virsh } from '../support/needs.js';
import { tempDir } from '../support/temp-dir.js';

// The workshop bundle end to end: made here from the real builds, Debian's archive and the npm
// registry; then, in a network namespace with no route out, a fresh clone loads it into an empty
// cache, apt installs setup's packages from it alone, and setup and the pxe-boot scenario run.

const repo = path.resolve(import.meta.dirname, '../..');
const test = needs(root, virsh, libvirtd, fluoSource, program('unshare', 'util-linux'));

test('a bundle made here runs pxe-boot in a room with no network: load, setup and the scenario fetch nothing', async (t) => {
  t.timeout(90 * 60_000);
  // Beside the cache, not in /tmp: the bundle and a second cache take a few gigabytes.
  await fs.mkdir('/var/tmp', { recursive: true });
  const dir = await fs.mkdtemp('/var/tmp/metal-lab-bundle-test-');
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  const bundle = path.join(dir, 'workshop.bundle');

  const created = Date.now();
  const made = await cli(['bundle', 'create', bundle, '--fluo-source', SHARED_FLUO_SOURCE.file], { reject: false });
  t.log(String(made.stderr).split('\n').filter((l) => !l.startsWith('metal-lab:   ')).join('\n'));
  t.is(made.exitCode, 0);
  const size = (await fs.stat(bundle)).size;
  t.log(`bundle: ${(size / 1e9).toFixed(2)} GB, made in ${Math.round((Date.now() - created) / 1000)}s`);

  const clone = path.join(dir, 'clone');
  await execa('git', ['clone', '-q', repo, clone]);
  const cache = path.join(dir, 'cache');
  const artifacts = await tempDir(t, 'metal-lab-e2e-offline-');
  const started = Date.now();
  const room = await execa('unshare', ['--net', '--mount', '--fork', path.join(repo, 'test/nightly/offline-room.sh')], {
    reject: false,
    all: true,
    env: {
      CLONE: clone,
      BUNDLE: bundle,
      CACHE: cache,
      ARTIFACTS: artifacts,
      BUNDLE_APT_OPTS: bundleAptOptions(loadedBundle(cache)).join(' '),
      PACKAGES: LAB_PACKAGES.join(' '),
    },
  });
  t.log(String(room.all).split('\n').filter((l) => /^==|loaded in|installing npm|unpacking npm|^Inst|^Conf|upgraded|passed|failed|✔|✘/.test(l)).slice(-40).join('\n'));
  t.log(`offline room: ${Math.round((Date.now() - started) / 1000)}s`);
  t.is(room.exitCode, 0, String(room.all).split('\n').slice(-15).join('\n'));
  t.regex(String(room.all), /unpacking npm's packages from/, "the fresh clone's npm packages came out of the bundle");
  t.regex(String(room.all), /loaded in \d+s: \d+ cache entries added, 0 already here/);
  t.regex(String(room.all), /\d+ newly installed, 0 to remove/, 'apt would install every package from the bundle alone');
  t.true((await readTimeline(artifacts)).ok, 'pxe-boot passed offline');
});
