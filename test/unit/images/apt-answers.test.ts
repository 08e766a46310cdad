import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { rememberedAnswer, type AnswerMemo } from '../../../src/images/apt-answers.js';

async function memo(t: { teardown(fn: () => Promise<void>): void }): Promise<AnswerMemo & { list: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'apt-answers-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const listsDir = path.join(root, 'lists');
  await mkdir(path.join(listsDir, 'partial'), { recursive: true });
  const list = path.join(listsDir, 'deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4');
  await writeFile(list, 'Package: a\n');
  return { listsDir, dir: path.join(root, 'answers'), list };
}

test('an answer is asked once while the lists stay as they are, and again once apt-get update changed them', async (t) => {
  const m = await memo(t);
  let asked = 0;
  const ask = async () => ({ version: `1.${++asked}` });
  t.deepEqual(await rememberedAnswer('apt-cache show a', ask, m), { version: '1.1' });
  t.deepEqual(await rememberedAnswer('apt-cache show a', ask, m), { version: '1.1' });
  t.is(asked, 1);
  // Another question beside it, kept in the same file.
  t.is(await rememberedAnswer('apt sites', async () => 'sites', m), 'sites');
  t.deepEqual(await rememberedAnswer('apt-cache show a', ask, m), { version: '1.1' });

  await writeFile(m.list, 'Package: a\nVersion: 1.2\n');
  await utimes(m.list, new Date(), new Date(Date.now() + 5000));
  t.deepEqual(await rememberedAnswer('apt-cache show a', ask, m), { version: '1.2' });
  t.is(asked, 2);
  t.is((await readdir(m.dir)).length, 1, 'the answers of the old lists are gone');
});

test('a question apt could not answer is asked again; with no lists at all nothing is kept', async (t) => {
  const m = await memo(t);
  const fail = async () => {
    throw new Error('E: No packages found');
  };
  await t.throwsAsync(rememberedAnswer('apt-cache show nope', fail, m), { message: /No packages/ });
  t.is(await rememberedAnswer('apt-cache show nope', async () => 'now known', m), 'now known');

  let asked = 0;
  const bare = { listsDir: path.join(m.listsDir, 'absent'), dir: m.dir };
  await rememberedAnswer('q', async () => ++asked, bare);
  await rememberedAnswer('q', async () => ++asked, bare);
  t.is(asked, 2);
});
