import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { LabError } from '../../../src/errors.js';
import { FLUO_COMMANDS, fluoBinaries, type FluoBinaries } from '../../../src/images/fluo-binaries.js';
import { FLUO_COMMIT, FLUO_PIN } from '../../../src/images/fluo-source.js';
import { fluoSource, SHARED_FLUO_SOURCE } from '../../support/fluo.js';
import { needs, program } from '../../support/needs.js';
import { repackTarball } from '../../support/tarball.js';
import { tempDir } from '../../support/temp-dir.js';
import { sha256Of } from '../../support/umoci.js';

// The real build, from the shared tarball into the host's cache: 3-6 minutes the first time on
// 2 cores, found cached after that (the nightly tier's build step makes it first).
const test = needs(program('go', 'golang-go'), fluoSource);

let first: FluoBinaries;
let firstMs = 0;
const messages: string[] = [];

test.before(async () => {
  const t0 = Date.now();
  first = await fluoBinaries({ source: SHARED_FLUO_SOURCE, onProgress: (m) => messages.push(m) });
  firstMs = Date.now() - t0;
});

test.serial('FLUO v0.9.0 builds offline from its source tarball, and a second call builds nothing', async (t) => {
  t.log(`${first.built ? `built in ${first.buildSeconds}s` : 'cached'}; the call took ${(firstMs / 1000).toFixed(1)}s:\n${messages.join('\n')}`);
  const again: string[] = [];
  const second = await fluoBinaries({ source: SHARED_FLUO_SOURCE, onProgress: (m) => again.push(m) });
  t.false(second.built);
  t.is(second.dir, first.dir);
  t.true(again.some((m) => m.includes('nothing to build')), again.join('\n'));

  const manifest = JSON.parse(await readFile(path.join(first.dir, 'manifest.json'), 'utf8')) as FluoBinaries;
  t.like(manifest, { version: '0.9.0', commit: FLUO_COMMIT, source: { tarballSha256: FLUO_PIN.tarballs[0], treeSha256: FLUO_PIN.tree } });
  t.is(manifest.goVersion, (await execa('go', ['version'])).stdout.trim());
  t.true(manifest.buildSeconds > 0);
  t.deepEqual(Object.keys(manifest.binaries), [...FLUO_COMMANDS]);
  for (const name of FLUO_COMMANDS) {
    const file = path.join(first.binDir, name);
    t.deepEqual(manifest.binaries[name], { bytes: (await stat(file)).size, sha256: await sha256Of(file) });
  }
});

test.serial('both binaries run and report the version and commit they were built as', async (t) => {
  for (const name of FLUO_COMMANDS) {
    const r = await execa(path.join(first.binDir, name), ['--version']);
    t.is(r.stdout, `Version: 0.9.0\nCommit: ${FLUO_COMMIT}`, name);
  }
});

test.serial('a tampered tarball is refused with one line, exit 2, also when the build is cached, and leaves nothing in the cache', async (t) => {
  const dir = await tempDir(t);
  const tampered = path.join(dir, 'flatcar-linux-update-operator-0.9.0.tar.gz');
  await repackTarball(SHARED_FLUO_SOURCE.file, tampered, (name, content) => (name.endsWith('/cmd/update-operator/main.go') ? `${content}\n// tampered\n` : undefined));
  const origin = `--fluo-source ${tampered}`;

  // The host's cache holds the real build: the file is still checked, and refused.
  const entries = await readdir(path.dirname(first.dir));
  const err = await t.throwsAsync(fluoBinaries({ source: { file: tampered, origin } }), { instanceOf: LabError });
  t.is(err?.exitCode, 2);
  t.deepEqual(await readdir(path.dirname(first.dir)), entries);

  const cache = path.join(dir, 'cache');
  const r = await execa('node', ['--import=tsx', path.resolve('src/cli/main.ts'), 'build', 'fluo', '--fluo-source', tampered], { reject: false, env: { METAL_LAB_CACHE: cache } });
  t.is(r.exitCode, 2);
  t.is(r.stderr.split('\n').length, 1, r.stderr);
  t.regex(r.stderr, new RegExp(`^metal-lab: ${origin}: not FLUO v0\\.9\\.0's source: its tree's sha256 is [0-9a-f]{64}, the pinned tree's ${FLUO_PIN.tree} .*\\. Fix: .*--fluo-source FILE or METAL_LAB_FLUO_SOURCE=FILE$`));
  t.deepEqual(await readdir(dir), [path.basename(tampered)], 'no cache dir was made');
});
