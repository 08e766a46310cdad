import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../../../src/errors.js';
import { fluoBinaries } from '../../../src/images/fluo-binaries.js';
import { needs, program } from '../../support/needs.js';
import { tempDir } from '../../support/temp-dir.js';

// Go is asked for its version first: it is part of the cache key a hit is looked up by.
const test = needs(program('go', 'golang-go'));

test('without a cached build, a source or leave to download, it is one line naming both ways out, exit 2, and nothing written', async (t) => {
  const dir = await tempDir(t);
  const cacheDir = path.join(dir, 'cache');
  const err = await t.throwsAsync(fluoBinaries({ cacheDir, download: false }), { instanceOf: LabError });
  t.is(err!.exitCode, 2);
  t.is(
    err!.line(),
    `FLUO v0.9.0 (the update operator) is not built in ${path.join(cacheDir, 'fluo')} and no source was given. ` +
      'Fix: pass its source tarball with --fluo-source FILE or METAL_LAB_FLUO_SOURCE=FILE (https://github.com/flatcar/flatcar-linux-update-operator/archive/refs/tags/v0.9.0.tar.gz), or build it first: metal-lab build fluo',
  );
  t.deepEqual(await readdir(dir), []);
});
