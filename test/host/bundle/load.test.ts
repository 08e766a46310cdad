import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import test from 'ava';
import { writeBundle } from '../../../src/bundle/create.js';
import { loadBundle } from '../../../src/bundle/load.js';
import { LabError } from '../../../src/errors.js';
import { METAL_LAB_VERSION } from '../../../src/ground/version.js';

/**
 * A small bundle made by the real writer (tar-stream, zlib) from a cache root with two entries, an
 * apt repository and an npm cache, loaded into another cache root: what arrives, and what a
 * damaged, cut or foreign bundle gets instead: one line, and nothing written.
 */

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function makeBundle(t: import('ava').ExecutionContext) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'bundle-test-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const from = path.join(root, 'from');
  const image = Buffer.alloc(3 << 20, 7);
  image.write('inside-the-image', 1 << 20);
  await mkdir(path.join(from, 'labos-disk', 'aaaa', 'boot'), { recursive: true });
  await writeFile(path.join(from, 'labos-disk', 'aaaa', 'usr.ext4'), image);
  await writeFile(path.join(from, 'labos-disk', 'aaaa', 'manifest.json'), '{"release":"1.0.0"}\n');
  await symlink('../usr.ext4', path.join(from, 'labos-disk', 'aaaa', 'boot', 'usr'));
  await mkdir(path.join(from, 'kube-images', 'bbbb'), { recursive: true });
  await writeFile(path.join(from, 'kube-images', 'bbbb', 'index.json'), '{}\n', { mode: 0o600 });
  const apt = path.join(root, 'apt');
  const npm = path.join(root, 'npm');
  await mkdir(path.join(npm, '_cacache'), { recursive: true });
  await mkdir(apt);
  await writeFile(path.join(apt, 'Packages'), 'Package: qemu-utils\n');
  await writeFile(path.join(npm, '_cacache', 'index'), 'npm');
  const file = path.join(root, 'workshop.bundle');
  await writeBundle(file, { cacheRoot: from, cacheEntries: ['kube-images/bbbb', 'labos-disk/aaaa'], apt, npm, aptAnswers: { 'apt sites': [{ site: 'http://deb.debian.org/debian', suite: 'bookworm' }] } }, () => {});
  return { root, file, image };
}

const listed = async (dir: string) => (await readdir(dir, { recursive: true }).catch(() => [])).sort();

test('load: the entries arrive as they were, the bundle\'s apt repository, npm cache and answers beside them', async (t) => {
  const { root, file, image } = await makeBundle(t);
  const to = path.join(root, 'to');
  const r = await loadBundle(file, to);
  t.deepEqual(r.added, ['kube-images/bbbb', 'labos-disk/aaaa']);
  t.is(r.manifest.metalLab, METAL_LAB_VERSION);
  t.is(sha(await readFile(path.join(to, 'labos-disk', 'aaaa', 'usr.ext4'))), sha(image));
  t.is(await readlink(path.join(to, 'labos-disk', 'aaaa', 'boot', 'usr')), '../usr.ext4');
  t.is((await stat(path.join(to, 'kube-images', 'bbbb', 'index.json'))).mode & 0o777, 0o600);
  t.is(await readFile(path.join(to, 'bundle', 'apt', 'Packages'), 'utf8'), 'Package: qemu-utils\n');
  t.is(await readFile(path.join(to, 'bundle', 'sources.list'), 'utf8'), `deb [trusted=yes] file:${path.join(to, 'bundle', 'apt')} ./\n`);
  t.deepEqual(JSON.parse(await readFile(path.join(to, 'bundle', 'apt-answers.json'), 'utf8')), { 'apt sites': [{ site: 'http://deb.debian.org/debian', suite: 'bookworm' }] });
  t.true((await stat(path.join(to, 'bundle', 'npm', '_cacache', 'index'))).isFile());
  t.false((await readdir(to)).some((n) => n.startsWith('.bundle-load-')), 'no scratch dir left');

  // Loaded again: what is there stays, the bundle's own part is replaced.
  const again = await loadBundle(file, to);
  t.deepEqual(again.added, []);
  t.deepEqual(again.had, ['kube-images/bbbb', 'labos-disk/aaaa']);
});

async function refused(t: import('ava').ExecutionContext, file: string, to: string, message: RegExp) {
  const err = await t.throwsAsync(loadBundle(file, to), { instanceOf: LabError });
  t.regex(err.line(), message);
  t.notRegex(err.line(), /\n/, 'one line');
  t.is(err.exitCode, 2);
  t.deepEqual(await listed(to), [], 'nothing written');
}

test('load refuses a bundle with a byte changed, one cut short, and one made by another version, before writing anything', async (t) => {
  const { root, file, image } = await makeBundle(t);
  const raw = gunzipSync(await readFile(file));
  const to = path.join(root, 'to');

  // The image's marker changed inside an intact gzip stream: only the digest can tell.
  const at = raw.indexOf(Buffer.from('inside-the-image'));
  t.true(at > 0 && image.includes('inside-the-image'));
  const changed = Buffer.from(raw);
  changed.write('INSIDE', at);
  await writeFile(path.join(root, 'changed.bundle'), gzipSync(changed));
  await refused(t, path.join(root, 'changed.bundle'), to, /changed\.bundle is not a complete metal-lab bundle: cache\/labos-disk\/aaaa\/usr\.ext4 does not match the manifest's sha256\. Fix: copy the bundle again/);

  const cut = path.join(root, 'cut.bundle');
  await writeFile(cut, await readFile(file));
  await truncate(cut, Math.floor((await stat(file)).size / 2));
  await refused(t, cut, to, /cut\.bundle is not a complete metal-lab bundle: .*(unexpected end of file|ends before)/);

  const foreign = Buffer.from(raw);
  const version = foreign.indexOf(Buffer.from(`"metalLab": "${METAL_LAB_VERSION}"`));
  foreign.write(`"metalLab": "${METAL_LAB_VERSION.replace(/^\d/, '9')}"`, version);
  await writeFile(path.join(root, 'foreign.bundle'), gzipSync(foreign));
  await refused(t, path.join(root, 'foreign.bundle'), to, new RegExp(`was made by metal-lab 9[^;]*; this is ${METAL_LAB_VERSION.replaceAll('.', '\\.')}\\. Fix: make the bundle with this checkout`));

  await refused(t, path.join(root, 'missing.bundle'), to, /no bundle at .*missing\.bundle/);
});
