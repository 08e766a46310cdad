import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import { cacheEntry, cacheKey, cachedBuild, readRecord, type CachedBuildOptions } from '../../../src/toolkit/cached-build.js';
import { waitFor } from '../../../src/toolkit/wait-for.js';

async function tempRoot(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cached-build-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return path.join(dir, 'things');
}

const readFakeRecord = async (dir: string) => readFile(path.join(dir, 'record'), 'utf8').catch(() => undefined);

/** A builder that writes `record` last, after `ms`, counting its runs. */
function fakeBuild(root: string, opts: { ms?: number; inputs?: unknown } = {}) {
  const runs = { count: 0 };
  const options: CachedBuildOptions<string> = {
    what: 'the thing',
    root,
    inputs: opts.inputs ?? { version: 1 },
    read: readFakeRecord,
    build: async (tmp, ctx) => {
      runs.count++;
      ctx.progress('step one');
      await writeFile(path.join(tmp, 'payload'), 'bytes');
      await sleep(opts.ms ?? 0);
      await writeFile(path.join(tmp, 'record'), `built ${ctx.key}`);
    },
    summary: (v) => v,
  };
  return { runs, options };
}

test('the key hashes the inputs, whatever the order of their fields', (t) => {
  t.is(cacheKey({ a: 1, b: [{ y: 2, x: 1 }] }), cacheKey({ b: [{ x: 1, y: 2 }], a: 1 }));
  t.not(cacheKey({ a: 1 }), cacheKey({ a: 2 }));
  t.regex(cacheKey({}), /^[0-9a-f]{20}$/);
  t.deepEqual(cacheEntry('/c/things', { a: 1 }), { key: cacheKey({ a: 1 }), dir: path.join('/c/things', cacheKey({ a: 1 })) });
});

test('a miss builds into a temp dir published as the entry; a hit builds nothing', async (t) => {
  const root = await tempRoot(t);
  const { runs, options } = fakeBuild(root);
  const messages: string[] = [];
  const first = await cachedBuild({ ...options, onProgress: (m) => messages.push(m) });
  t.true(first.built);
  t.is(first.value, `built ${first.key}`);
  t.is(first.dir, path.join(root, first.key));
  t.is(await readFile(path.join(first.dir, 'payload'), 'utf8'), 'bytes');
  t.deepEqual(await readdir(root), [first.key], 'no temp dir, lock or log left beside it');
  t.deepEqual(messages.slice(0, 2), [`the thing is not cached: building it into ${first.dir}`, 'step one']);
  t.regex(messages.at(-1)!, new RegExp(`^built the thing in \\d+s: built ${first.key}$`));

  const again: string[] = [];
  const second = await cachedBuild({ ...options, onProgress: (m) => again.push(m) });
  t.false(second.built);
  t.deepEqual(second, { ...first, built: false });
  t.is(runs.count, 1);
  t.deepEqual(again, [`the thing cached at ${first.dir}, nothing to build (built ${first.key})`]);

  const other = await cachedBuild({ ...fakeBuild(root, { inputs: { version: 2 } }).options });
  t.true(other.built);
  t.not(other.key, first.key);
});

test('a failed build publishes nothing, and the preflight runs on a miss only', async (t) => {
  const root = await tempRoot(t);
  const { options } = fakeBuild(root);
  let preflights = 0;
  const preflight = async () => void preflights++;
  await t.throwsAsync(cachedBuild({ ...options, preflight, build: async () => Promise.reject(new Error('compiler crashed')) }), { message: 'compiler crashed' });
  t.deepEqual(await readdir(root), []);
  await cachedBuild({ ...options, preflight });
  await cachedBuild({ ...options, preflight });
  t.is(preflights, 2);
  await t.throwsAsync(cachedBuild({ ...fakeBuild(root, { inputs: 'x' }).options, preflight: async () => Promise.reject(new Error('needs root')) }), { message: 'needs root' });
  t.is((await readdir(root)).length, 1);
});

test('a build that never wrote its record is an error, not a hit', async (t) => {
  const root = await tempRoot(t);
  const { options } = fakeBuild(root);
  await t.throwsAsync(cachedBuild({ ...options, build: async () => {} }), { message: /was published without the record/ });
});

test('concurrent callers build once: the others wait for the lock and find the entry', async (t) => {
  const root = await tempRoot(t);
  const { runs, options } = fakeBuild(root, { ms: 300 });
  const messages: string[] = [];
  const all = await Promise.all([1, 2, 3].map(() => cachedBuild({ ...options, onProgress: (m) => messages.push(m) })));
  t.is(runs.count, 1);
  t.deepEqual(all.map((r) => r.built).sort(), [false, false, true]);
  t.is(messages.filter((m) => m === 'waiting for another process building the thing').length, 2);
  t.is(messages.filter((m) => m.startsWith('the thing built by another process at')).length, 2);
});

test('temp dirs a dead build of the same key left are swept; others are not', async (t) => {
  const root = await tempRoot(t);
  const { options } = fakeBuild(root);
  const { key } = cacheEntry(root, options.inputs);
  await cachedBuild({ ...fakeBuild(root, { inputs: 'seed' }).options });
  await writeFile(path.join(root, `.build-${key}-abc123`), 'left by a killed build');
  await writeFile(path.join(root, '.build-0123456789abcdef0123-zzz'), 'another key, maybe building right now');
  await cachedBuild(options);
  const names = await readdir(root);
  t.false(names.includes(`.build-${key}-abc123`));
  t.true(names.includes('.build-0123456789abcdef0123-zzz'));
});

test('a slow build gets a heartbeat, also when only onHeartbeat listens (--quiet)', async (t) => {
  const root = await tempRoot(t);
  const { options } = fakeBuild(root);
  const beats: string[] = [];
  await cachedBuild({
    ...options,
    heartbeatMs: 30,
    onHeartbeat: (m) => beats.push(m),
    build: async (tmp, ctx) => {
      ctx.note('compiling cmd/kubelet');
      // Slow enough for two beats after the note, however late a loaded machine runs this (a
      // beat may come before the note) or fires the heartbeat's timer.
      await waitFor('two heartbeats after the note', async () => beats.filter((b) => b.includes('compiling')).length >= 2 || undefined, {
        deadline: Date.now() + 10_000,
        intervalMs: 10,
      });
      await writeFile(path.join(tmp, 'record'), 'ok');
    },
  });
  t.regex(beats[0]!, /^still building the thing: \d+s elapsed/);
  t.regex(beats.at(-1)!, /^still building the thing: \d+s elapsed, last: compiling cmd\/kubelet$/);
});

test('readRecord parses an entry\'s JSON record, and is undefined while there is none', async (t) => {
  const root = await tempRoot(t);
  t.is(await readRecord(path.join(root, 'manifest.json')), undefined);
  await mkdir(root, { recursive: true });
  await writeFile(path.join(root, 'manifest.json'), '{"key":"k"}');
  t.deepEqual(await readRecord<{ key: string }>(path.join(root, 'manifest.json')), { key: 'k' });
  await writeFile(path.join(root, 'bad.json'), '{');
  await t.throwsAsync(readRecord(path.join(root, 'bad.json')), { instanceOf: SyntaxError });
});
