import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import test from 'ava';
import { HostError, LabError } from '../../../src/errors.js';
import { chooseSource, downloadSource, sourceDigests, verifySource, type SourcePin } from '../../../src/images/fluo-source.js';
import { tempDir } from '../../support/temp-dir.js';
import { writeTarball, type TarEntry } from '../../support/tarball.js';

// Small synthetic trees stand in for FLUO's source: the pin is a parameter, the real one is the host test's.
const TREE: TarEntry[] = [
  { name: 'fluo-0.9.0/go.mod', content: 'module example.com/fluo\n' },
  { name: 'fluo-0.9.0/cmd/update-operator/main.go', content: 'package main\n' },
  { name: 'fluo-0.9.0/vendor/big/swagger.json', content: '{}' },
  { name: 'fluo-0.9.0/hack/link', type: 'symlink', linkname: '../go.mod' },
];
const UNPINNED = ['vendor/big/swagger.json'];

async function tarball(t: Parameters<typeof tempDir>[0], entries: readonly TarEntry[], name = 'src.tar.gz') {
  const file = path.join(await tempDir(t), name);
  await writeTarball(file, entries);
  return file;
}

const treeOf = async (t: Parameters<typeof tempDir>[0], entries: readonly TarEntry[]) => (await sourceDigests(await tarball(t, entries), UNPINNED)).tree;

test('the flag wins over METAL_LAB_FLUO_SOURCE; neither means download; paths are made absolute', (t) => {
  const env = { METAL_LAB_FLUO_SOURCE: 'from-env.tar.gz' };
  t.deepEqual(chooseSource('/src/flag.tar.gz', env), { file: '/src/flag.tar.gz', origin: '--fluo-source /src/flag.tar.gz' });
  t.deepEqual(chooseSource(undefined, env), { file: path.resolve('from-env.tar.gz'), origin: `METAL_LAB_FLUO_SOURCE=${path.resolve('from-env.tar.gz')}` });
  t.is(chooseSource(undefined, {}), undefined);
  t.is(chooseSource(undefined, { METAL_LAB_FLUO_SOURCE: '' }), undefined);
});

test('the tree digest ignores the top dir, entry order, directory entries and unpinned paths', async (t) => {
  const base = await treeOf(t, TREE);
  const moved = TREE.map((e) => ({ ...e, name: e.name.replace('fluo-0.9.0/', 'flatcar-linux-update-operator-0.9.0/') }));
  const withDirs: TarEntry[] = [{ name: 'other/', type: 'directory' }, { name: 'other/cmd/', type: 'directory' }, ...moved.map((e) => ({ ...e, name: e.name.replace(/^[^/]+/, 'other') })).reverse()];
  t.is(await treeOf(t, moved), base);
  t.is(await treeOf(t, withDirs), base);
  t.is(await treeOf(t, TREE.filter((e) => !e.name.endsWith('swagger.json'))), base);
  t.is(await treeOf(t, TREE.map((e) => (e.name.endsWith('swagger.json') ? { ...e, content: 'changed' } : e))), base);
});

test('the tree digest changes with a byte, a name, an added file or a link target', async (t) => {
  const base = await treeOf(t, TREE);
  const variants: TarEntry[][] = [
    TREE.map((e) => (e.name.endsWith('main.go') ? { ...e, content: 'package main \n' } : e)),
    TREE.map((e) => (e.name.endsWith('main.go') ? { ...e, name: e.name.replace('main.go', 'Main.go') } : e)),
    [...TREE, { name: 'fluo-0.9.0/cmd/update-operator/extra.go', content: 'package main\n' }],
    TREE.map((e) => (e.type === 'symlink' ? { ...e, linkname: '/etc/passwd' } : e)),
  ];
  const digests = await Promise.all(variants.map((v) => treeOf(t, v)));
  t.is(new Set([base, ...digests]).size, 1 + variants.length);
});

test('a path the tar holds twice counts as its last copy, the one extracting it leaves', async (t) => {
  const appended: TarEntry[] = [...TREE, { name: 'fluo-0.9.0/cmd/update-operator/main.go', content: 'package main; evil()\n' }];
  const replaced = TREE.map((e) => (e.name.endsWith('main.go') ? { ...e, content: 'package main; evil()\n' } : e));
  t.is(await treeOf(t, appended), await treeOf(t, replaced));
  t.not(await treeOf(t, appended), await treeOf(t, TREE));
});

test('a source that matches the pinned tree or a known tarball is accepted; anything else is one line, exit 2', async (t) => {
  const good = await tarball(t, TREE);
  const digests = await sourceDigests(good, UNPINNED);
  const byTree: SourcePin = { tree: digests.tree, tarballs: [], unpinned: UNPINNED };
  const byTarball: SourcePin = { tree: '0'.repeat(64), tarballs: [digests.tarball], unpinned: UNPINNED };
  t.deepEqual((await verifySource(good, '--fluo-source x', byTree)).digests, digests);
  t.deepEqual((await verifySource(good, '--fluo-source x', byTarball)).digests, digests);

  const tampered = await tarball(t, TREE.map((e) => (e.name.endsWith('main.go') ? { ...e, content: 'package main; evil()\n' } : e)));
  const err = await t.throwsAsync(verifySource(tampered, `--fluo-source ${tampered}`, byTree), { instanceOf: LabError });
  t.is(err?.exitCode, 2);
  t.regex(err!.line(), new RegExp(`^--fluo-source ${tampered}: not FLUO v0\\.9\\.0's source: its tree's sha256 is [0-9a-f]{64}, the pinned tree's ${digests.tree} \\(tarball sha256 [0-9a-f]{64}\\)\\. Fix: pass FLUO v0\\.9\\.0's source tarball .* with --fluo-source FILE or METAL_LAB_FLUO_SOURCE=FILE$`));
  t.false(err!.line().includes('\n'));
});

test('a missing file, a directory, a file that is no gzip\'d tar and a tar with a device entry are refused, exit 2', async (t) => {
  const dir = await tempDir(t);
  const pin: SourcePin = { tree: '0'.repeat(64), tarballs: [], unpinned: [] };
  const junk = path.join(dir, 'junk.tar.gz');
  await writeFile(junk, 'not a tarball');
  const device = await tarball(t, [...TREE, { name: 'fluo-0.9.0/dev/null', type: 'character-device' }]);
  const cases: [string, RegExp][] = [
    [path.join(dir, 'missing.tar.gz'), /: no such file\. Fix: /],
    [dir, /: not a file\. Fix: /],
    [junk, /: not a gzip'd tar of a source tree \(.+\)\. Fix: /],
    [device, /: not a gzip'd tar of a source tree \(it holds fluo-0\.9\.0\/dev\/null, a character-device entry, .*\)\. Fix: /],
  ];
  for (const [file, message] of cases) {
    const err = await t.throwsAsync(verifySource(file, `METAL_LAB_FLUO_SOURCE=${file}`, pin), { instanceOf: LabError });
    t.is(err?.exitCode, 2);
    t.regex(err!.line(), message);
    t.true(err!.line().startsWith(`METAL_LAB_FLUO_SOURCE=${file}: `));
  }
});

/** A loopback server that answers every request with `body` (or `status`), counting requests. */
async function serve(t: Parameters<typeof tempDir>[0], body: Buffer, status = 200) {
  let requests = 0;
  const server = http.createServer((_req, res) => {
    requests++;
    res.writeHead(status).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v0.9.0.tar.gz`, requests: () => requests };
}

test('a download is checked before it lands in the cache, and fetched once', async (t) => {
  const good = await tarball(t, TREE);
  const pin: SourcePin = { tree: (await sourceDigests(good, UNPINNED)).tree, tarballs: [], unpinned: UNPINNED };
  const server = await serve(t, await readFile(good));
  const dir = path.join(await tempDir(t), 'sources');
  const first = await downloadSource(dir, { url: server.url, pin });
  t.is(first.file, path.join(dir, 'flatcar-linux-update-operator-v0.9.0.tar.gz'));
  t.is(first.origin, server.url);
  t.deepEqual(await readdir(dir), ['flatcar-linux-update-operator-v0.9.0.tar.gz']);
  const again = await downloadSource(dir, { url: server.url, pin });
  t.is(again.digests.tree, pin.tree);
  t.is(server.requests(), 1);
});

test('a download that does not match the pin leaves nothing behind, exit 2', async (t) => {
  const server = await serve(t, await readFile(await tarball(t, TREE)));
  const dir = path.join(await tempDir(t), 'sources');
  const err = await t.throwsAsync(downloadSource(dir, { url: server.url, pin: { tree: '0'.repeat(64), tarballs: [], unpinned: [] } }), { instanceOf: LabError });
  t.is(err?.exitCode, 2);
  t.true(err!.message.startsWith(`${server.url}: not FLUO v0.9.0's source`));
  t.deepEqual(await readdir(dir), []);
});

test('offline, the download is one line naming the flag and the variable, and creates no dir', async (t) => {
  const dir = path.join(await tempDir(t), 'sources');
  const notFound = await serve(t, Buffer.from('no'), 404);
  const refused = await closedPortUrl();
  for (const [url, reason] of [[notFound.url, 'HTTP 404 Not Found'], [refused.url, `connect ECONNREFUSED 127.0.0.1:${refused.port}`]]) {
    const err = await t.throwsAsync(downloadSource(dir, { url }), { instanceOf: HostError });
    t.is(err?.exitCode, 2);
    t.is(err?.line(), `cannot download FLUO v0.9.0's source from ${url}: ${reason}. Fix: pass a local copy of that tarball with --fluo-source FILE or METAL_LAB_FLUO_SOURCE=FILE`);
  }
  t.false(existsSync(dir));
});

/** A loopback URL nothing listens on: a port that was free a moment ago. */
async function closedPortUrl() {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return { port, url: `http://127.0.0.1:${port}/v0.9.0.tar.gz` };
}
