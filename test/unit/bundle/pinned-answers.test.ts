import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { closureNames } from '../../../src/bundle/debs.js';
import { showPackage } from '../../../src/images/apt.js';
import { startBundleRecord } from '../../../src/toolkit/bundle-record.js';

test.serial('a loaded bundle answers the apt questions that key builds, apt is not asked, and a recording notes the answers', async (t) => {
  const cache = await mkdtemp(path.join(os.tmpdir(), 'pinned-'));
  t.teardown(() => rm(cache, { recursive: true, force: true }));
  await mkdir(path.join(cache, 'bundle'));
  const pinned = { pkg: { name: 'no-such-package-here', version: '1.2-3', sha256: 'ab'.repeat(32), size: 10 }, depends: 'libc6 (>= 2.34)' };
  await writeFile(path.join(cache, 'bundle', 'apt-answers.json'), JSON.stringify({ 'apt-cache show no-such-package-here': pinned }));
  const before = process.env.METAL_LAB_CACHE;
  process.env.METAL_LAB_CACHE = cache;
  t.teardown(() => (before === undefined ? delete process.env.METAL_LAB_CACHE : (process.env.METAL_LAB_CACHE = before)));
  const { record, stop } = startBundleRecord();
  t.teardown(stop);
  // apt itself knows no such package: only the bundle can answer.
  t.deepEqual(await showPackage('no-such-package-here'), pinned);
  t.deepEqual(record.aptAnswers, { 'apt-cache show no-such-package-here': pinned });
});

test('the closure keeps package names and drops virtual packages and the tree apt-cache draws', (t) => {
  const out = ['qemu-utils', '  Depends: libc6', ' |Depends: <awk>', '    mawk', 'libc6', '<awk>', 'mawk', 'libgcc-s1:amd64', 'libc6'].join('\n');
  t.deepEqual(closureNames(out), ['libc6', 'libgcc-s1', 'mawk', 'qemu-utils']);
});
