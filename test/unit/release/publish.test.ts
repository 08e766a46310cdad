import { createPublicKey, verify } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { fileDigest } from '../../../src/images/file-digest.js';
import { publishRelease } from '../../../src/release/publish.js';
import { filesUnder, releaseFixture } from '../../support/release-fixture.js';

test('publish copies the payload into the channel, then writes the manifest and its signature', async (t) => {
  const f = await releaseFixture(t);
  const r = await publishRelease({ assetsDir: f.assetsDir, channel: 'stable', version: '2.0.0', payloadFile: f.payloadFile, key: f.key });
  const dir = path.join(f.assetsDir, 'releases/stable');
  t.is(r.dir, dir);
  t.deepEqual(await filesUnder(f.assetsDir), ['releases/stable/labos-2.0.0.img', 'releases/stable/release.json', 'releases/stable/release.json.sig']);
  t.true((await fs.readFile(path.join(dir, 'labos-2.0.0.img'))).equals(f.payload));

  const manifest = await fs.readFile(path.join(dir, 'release.json'));
  const expected = { version: '2.0.0', channel: 'stable', payload: 'labos-2.0.0.img', size: f.payload.length, sha512: await fileDigest(f.payloadFile, 'sha512') };
  t.deepEqual(JSON.parse(manifest.toString()), expected);
  t.deepEqual(r.manifest, expected);
  t.deepEqual(Object.keys(JSON.parse(manifest.toString())), ['version', 'channel', 'payload', 'size', 'sha512']);
  t.deepEqual(r.removed, []);

  // Exactly the engine's check: RSA PKCS#1 v1.5, SHA-256, over the manifest's bytes as served.
  const signature = await fs.readFile(path.join(dir, 'release.json.sig'));
  t.is(signature.length, 256);
  t.true(verify('sha256', manifest, createPublicKey(f.publicPem), signature));
  t.false(verify('sha256', Buffer.concat([manifest, Buffer.from(' ')]), createPublicKey(f.publicPem), signature));
  for (const file of ['labos-2.0.0.img', 'release.json', 'release.json.sig']) {
    t.is((await fs.stat(path.join(dir, file))).mode & 0o777, 0o644, file);
  }
});

test('a new version replaces the manifest and removes the old payload and leftovers; other channels stay', async (t) => {
  const f = await releaseFixture(t);
  const publish = (version: string, channel = 'stable') => publishRelease({ assetsDir: f.assetsDir, channel, version, payloadFile: f.payloadFile, key: f.key });
  await publish('1.5.0', 'beta');
  await publish('2.0.0');
  // What an interrupted publish leaves: a temp file of a payload.
  const leftover = '.labos-2.0.1.img.0123456789ab.tmp';
  await fs.writeFile(path.join(f.assetsDir, 'releases/stable', leftover), 'half');
  const r = await publish('2.1.0');
  t.deepEqual(r.removed, [leftover, 'labos-2.0.0.img']);
  t.deepEqual(await filesUnder(f.assetsDir), [
    'releases/beta/labos-1.5.0.img',
    'releases/beta/release.json',
    'releases/beta/release.json.sig',
    'releases/stable/labos-2.1.0.img',
    'releases/stable/release.json',
    'releases/stable/release.json.sig',
  ]);
  t.like(JSON.parse(await fs.readFile(path.join(f.assetsDir, 'releases/stable/release.json'), 'utf8')), { version: '2.1.0', payload: 'labos-2.1.0.img' });
  // An older version is a rollback, not an error: nodes install what differs from what they run.
  t.is((await publish('1.0.0')).manifest.version, '1.0.0');
});

test('a reader never sees half a payload or half a manifest, and always finds the payload the manifest names', async (t) => {
  const f = await releaseFixture(t, 24 * 2 ** 20);
  const dir = path.join(f.assetsDir, 'releases/stable');
  await publishRelease({ assetsDir: f.assetsDir, channel: 'stable', version: '1.0.0', payloadFile: f.payloadFile, key: f.key });
  const size = async (name: string) => (await fs.stat(path.join(dir, name)).catch(() => undefined))?.size;
  const manifest = async () => JSON.parse(await fs.readFile(path.join(dir, 'release.json'), 'utf8')) as { version: string; payload: string; size: number };

  let done = false;
  const publishing = publishRelease({ assetsDir: f.assetsDir, channel: 'stable', version: '2.0.0', payloadFile: f.payloadFile, key: f.key }).finally(() => {
    done = true;
  });
  const seen = new Set<string>();
  let reads = 0;
  while (!done) {
    const before = await manifest();
    const named = await size(before.payload);
    const next = await size('labos-2.0.0.img');
    const after = await manifest();
    if (before.version === after.version) t.is(named, before.size, `${before.payload} while release.json names it`);
    t.true(next === undefined || next === f.payload.length, `labos-2.0.0.img is ${next} bytes`);
    seen.add(after.version);
    reads++;
  }
  await publishing;
  t.true(reads > 5, `only ${reads} reads during the publish`);
  t.true(seen.has('1.0.0'));
  t.deepEqual(await filesUnder(f.assetsDir), ['releases/stable/labos-2.0.0.img', 'releases/stable/release.json', 'releases/stable/release.json.sig']);
});
