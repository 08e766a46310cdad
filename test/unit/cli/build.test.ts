import { readdir } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { metalLab } from '../../support/run-cli.js';
import { tempDir } from '../../support/temp-dir.js';
import { writeTarball } from '../../support/tarball.js';

// Only what fails before anything builds: a wrong update operator source is refused before Go is even asked.
const cli = (cache: string, args: string[], env: Record<string, string> = {}) => metalLab(['build', ...args], { METAL_LAB_CACHE: cache, ...env });

const FIX = "Fix: pass FLUO v0.9.0's source tarball (the tag's archive, https://github.com/flatcar/flatcar-linux-update-operator/archive/refs/tags/v0.9.0.tar.gz) with --fluo-source FILE or METAL_LAB_FLUO_SOURCE=FILE";

test('build fluo: a source that is not FLUO v0.9.0 is one line, exit 2, and the cache stays empty', async (t) => {
  const dir = await tempDir(t);
  const cache = path.join(dir, 'cache');
  const source = path.join(dir, 'fluo.tar.gz');
  await writeTarball(source, [{ name: 'flatcar-linux-update-operator-0.9.0/go.mod', content: 'module x\n' }]);
  const r = await cli(cache, ['fluo', '--fluo-source', source]);
  t.is(r.exitCode, 2);
  t.regex(r.stderr, new RegExp(`^metal-lab: --fluo-source ${source}: not FLUO v0\\.9\\.0's source: its tree's sha256 is [0-9a-f]{64}, the pinned tree's [0-9a-f]{64} \\(tarball sha256 [0-9a-f]{64}\\)\\. ${FIX.replace(/[.()]/g, '\\$&')}$`));
  t.deepEqual(await readdir(dir), ['fluo.tar.gz']);
});

test('build fluo: --fluo-source wins over METAL_LAB_FLUO_SOURCE, and either naming no file is one line, exit 2', async (t) => {
  const dir = await tempDir(t);
  const missing = path.join(dir, 'missing.tar.gz');
  const both = await cli(dir, ['fluo', '--fluo-source', missing], { METAL_LAB_FLUO_SOURCE: path.join(dir, 'other.tar.gz') });
  t.is(both.exitCode, 2);
  t.is(both.stderr, `metal-lab: --fluo-source ${missing}: no such file. ${FIX}`);
  const env = await cli(dir, ['fluo'], { METAL_LAB_FLUO_SOURCE: missing });
  t.is(env.exitCode, 2);
  t.is(env.stderr, `metal-lab: METAL_LAB_FLUO_SOURCE=${missing}: no such file. ${FIX}`);
  t.deepEqual(await readdir(dir), []);
});
