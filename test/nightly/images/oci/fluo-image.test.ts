import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { fluoBinaries, type FluoBinaries } from '../../../../src/images/fluo-binaries.js';
import { FLUO_COMMIT } from '../../../../src/images/fluo-source.js';
import { buildFluoImage } from '../../../../src/images/oci/fluo-image.js';
import { fluoSource, SHARED_FLUO_SOURCE } from '../../../support/fluo.js';
import { needs, program } from '../../../support/needs.js';
import { tempDir } from '../../../support/temp-dir.js';
import { sha256Of, umociUnpack } from '../../../support/umoci.js';

// The binaries come from the host's cache (built there by fluo-binaries.test.ts or `metal-lab
// build`, else here); umoci reads the image independently of our writer; chroot runs it.
const test = needs(program('go', 'golang-go'), fluoSource, program('umoci', 'umoci'));

let bins: FluoBinaries;
test.before(async () => {
  bins = await fluoBinaries({ source: SHARED_FLUO_SOURCE });
});

test('the image holds both static binaries, which run in its scratch root; the agent is its entrypoint', async (t) => {
  const dir = await tempDir(t);
  const image = await buildFluoImage({ bins, cacheDir: path.join(dir, 'cache') });
  t.is(image.ref, 'metal-lab.local/flatcar-linux-update-operator:v0.9.0');
  const into = await mkdtemp(path.join(os.tmpdir(), 'fluo-image-'));
  try {
    const u = await umociUnpack(image.archive, 'v0.9.0', into);
    t.deepEqual((await readdir(u.rootfs)).sort(), ['bin', 'tmp']);
    t.deepEqual(u.process.args, ['/bin/update-agent']);
    for (const name of ['update-operator', 'update-agent'] as const) {
      t.like(bins.binaries[name], { sha256: await sha256Of(path.join(u.rootfs, 'bin', name)) });
      const r = await execa('chroot', [u.rootfs, `/bin/${name}`, '--version']);
      t.is(r.stdout, `Version: 0.9.0\nCommit: ${FLUO_COMMIT}`);
    }
  } finally {
    await rm(into, { recursive: true, force: true });
  }
});

test('metal-lab build fluo prints one line for the binaries and one for the image', async (t) => {
  const r = await execa('node', ['--import=tsx', path.resolve('src/cli/main.ts'), 'build', 'fluo', '--quiet', '--fluo-source', SHARED_FLUO_SOURCE.file], { reject: false });
  t.is(r.exitCode, 0, r.stderr);
  const lines = r.stderr.split('\n');
  t.is(lines.length, 2, r.stderr);
  t.regex(lines[0]!, /^metal-lab: update operator binaries: cached: FLUO v0\.9\.0 built from .+; update-operator \d+\.\d MB, update-agent \d+\.\d MB \(\d+\.\ds\)$/);
  t.regex(lines[1]!, /^metal-lab: update operator image: metal-lab\.local\/flatcar-linux-update-operator:v0\.9\.0 \d+\.\d MB \(\d+\.\ds\)$/);
});
