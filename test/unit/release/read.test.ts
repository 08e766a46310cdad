import fs from 'node:fs/promises';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { rsaPublicPem } from '../../../src/pki/x509.js';
import { publishRelease } from '../../../src/release/publish.js';
import { channelRelease, listReleases } from '../../../src/release/read.js';
import { releaseFixture } from '../../support/release-fixture.js';
import { testKey } from '../../support/test-keys.js';

async function published(t: ExecutionContext) {
  const f = await releaseFixture(t);
  const { manifest } = await publishRelease({ assetsDir: f.assetsDir, channel: 'stable', version: '2.0.0', payloadFile: f.payloadFile, key: f.key });
  return { ...f, manifest, dir: path.join(f.assetsDir, 'releases/stable') };
}

test('a published release reads back signed and whole; a channel without one is undefined, as a 404 is to a node', async (t) => {
  const f = await published(t);
  t.deepEqual(await channelRelease(f.assetsDir, 'stable', f.publicPem), { channel: 'stable', manifest: f.manifest, signed: true, problems: [] });
  t.is(await channelRelease(f.assetsDir, 'beta', f.publicPem), undefined);
});

test('another key, a tampered manifest, a lost signature and a truncated payload are what a node would refuse', async (t) => {
  const f = await published(t);
  const other = rsaPublicPem(await testKey())!;
  t.like(await channelRelease(f.assetsDir, 'stable', other), { signed: false, problems: ['release.json.sig does not verify with the release key'] });

  await fs.truncate(path.join(f.dir, f.manifest.payload), 1000);
  t.like(await channelRelease(f.assetsDir, 'stable', f.publicPem), {
    signed: true,
    problems: [`payload labos-2.0.0.img is 1000 bytes, the manifest says ${f.manifest.size}`],
  });

  const manifest = path.join(f.dir, 'release.json');
  await fs.writeFile(manifest, (await fs.readFile(manifest, 'utf8')).replace('"size": ', '"size": 1'));
  const tampered = await channelRelease(f.assetsDir, 'stable', f.publicPem);
  t.is(tampered?.signed, false);
  t.is(tampered?.problems[0], 'release.json.sig does not verify with the release key');

  await fs.rm(path.join(f.dir, 'release.json.sig'));
  await fs.rm(path.join(f.dir, f.manifest.payload));
  t.like(await channelRelease(f.assetsDir, 'stable', f.publicPem), {
    signed: false,
    problems: ['release.json.sig is missing', 'payload labos-2.0.0.img is missing'],
  });
  await fs.writeFile(manifest, '{}');
  t.deepEqual(await channelRelease(f.assetsDir, 'stable', f.publicPem), {
    channel: 'stable',
    signed: false,
    problems: ['release.json.sig is missing', 'release.json is not a release manifest (version, channel, payload, size, sha512)'],
  });
});

test('listReleases: every channel with a release, by name; none without a releases dir', async (t) => {
  const f = await releaseFixture(t);
  t.deepEqual(await listReleases(f.assetsDir, f.publicPem), []);
  for (const [channel, version] of [['stable', '2.0.0'], ['beta', '2.1.0-rc.1']]) {
    await publishRelease({ assetsDir: f.assetsDir, channel: channel!, version: version!, payloadFile: f.payloadFile, key: f.key });
  }
  await fs.mkdir(path.join(f.assetsDir, 'releases/empty'));
  await fs.writeFile(path.join(f.assetsDir, 'releases/README'), 'not a channel');
  const all = await listReleases(f.assetsDir, f.publicPem);
  t.deepEqual(all.map((r) => [r.channel, r.manifest?.version, r.problems.length]), [['beta', '2.1.0-rc.1', 0], ['stable', '2.0.0', 0]]);
});
