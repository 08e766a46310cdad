import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { LabError } from '../../../src/errors.js';
import { Secret } from '../../../src/pki/secret.js';
import { publishRelease, type PublishOptions } from '../../../src/release/publish.js';
import { filesUnder, releaseFixture } from '../../support/release-fixture.js';

type Change = (o: PublishOptions) => Promise<Partial<PublishOptions>> | Partial<PublishOptions>;

/** The one line the CLI prints for a refused publish (good options but for `change`), checking it is bad input (exit 2) that wrote nothing. */
async function refusedWith(t: ExecutionContext, change: Change): Promise<{ line?: string; payloadFile: string }> {
  const f = await releaseFixture(t);
  const base = { assetsDir: f.assetsDir, channel: 'stable', version: '2.0.0', payloadFile: f.payloadFile, key: f.key };
  const before = await filesUnder(f.dir);
  const error = await t.throwsAsync(async () => publishRelease({ ...base, ...(await change(base)) }), { instanceOf: LabError });
  t.is(error?.exitCode, 2);
  t.deepEqual(await filesUnder(f.dir), before, 'nothing written');
  t.false(existsSync(f.assetsDir), 'no dir made');
  return { line: error?.line(), payloadFile: f.payloadFile };
}
const refused = async (t: ExecutionContext, change: Change) => (await refusedWith(t, change)).line;

const VERSION_FIX = 'Fix: pass a version such as 2.0.0 or 2.1.0-rc.1';

test('no version, or one that is not MAJOR.MINOR.PATCH[-PRERELEASE]', async (t) => {
  t.is(await refused(t, () => ({ version: '' })), 'no release version given. Fix: pass --version, e.g. --version 2.0.0');
  for (const version of ['2.0', 'v2.0.0', '02.0.0', '2.0.0+build.1', '2.0.0-', '2.0.0 ', 'latest']) {
    t.is(await refused(t, () => ({ version })), `version ${JSON.stringify(version)} is not MAJOR.MINOR.PATCH. ${VERSION_FIX}`);
  }
});

test('a channel name the engine would have to quote, or none', async (t) => {
  const fix = "Fix: use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit (e.g. stable, beta)";
  for (const channel of ['', 'Stable', '../stable', '.hidden', '-x', 'a/b', 'beta channel', 'b%65ta']) {
    t.is(await refused(t, () => ({ channel })), `channel ${JSON.stringify(channel)} is not a channel name. ${fix}`);
  }
});

test('a payload that is missing, not a file, or empty', async (t) => {
  const fix = 'Fix: pass the labos /usr image to publish (nodes write it onto their other /usr slot)';
  const missing = await refusedWith(t, (o) => ({ payloadFile: `${o.payloadFile}.gone` }));
  t.is(missing.line, `payload ${missing.payloadFile}.gone does not exist. ${fix}`);
  const dir = await refusedWith(t, (o) => ({ payloadFile: path.dirname(o.payloadFile) }));
  t.is(dir.line, `payload ${path.dirname(dir.payloadFile)} is not a regular file. ${fix}`);
  const empty = await refusedWith(t, async (o) => {
    await fs.truncate(o.payloadFile);
    return {};
  });
  t.is(empty.line, `payload ${empty.payloadFile} is empty. ${fix}`);
});

test('a key that cannot sign what a node verifies: not RSA, or not a key', async (t) => {
  const line = "the release key is not an RSA private key. Fix: sign with the lab's pki/release.key (metal-lab up --boot install makes one)";
  const ed25519 = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  t.is(await refused(t, () => ({ key: new Secret(ed25519) })), line);
  t.is(await refused(t, () => ({ key: new Secret('-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n') })), line);
});

test('the version the channel already serves: nodes that run it would never take it again', async (t) => {
  const f = await releaseFixture(t);
  const o = { assetsDir: f.assetsDir, channel: 'stable', version: '2.0.0', payloadFile: f.payloadFile, key: f.key };
  await publishRelease(o);
  const before = await Promise.all((await filesUnder(f.assetsDir)).map((file) => fs.stat(path.join(f.assetsDir, file))));
  const error = await t.throwsAsync(publishRelease(o), { instanceOf: LabError });
  t.is(error?.exitCode, 2);
  t.is(error?.line(), 'channel stable already serves 2.0.0. Fix: publish it as a new version (e.g. a higher patch): nodes that run 2.0.0 do not update to 2.0.0 again');
  const after = await Promise.all((await filesUnder(f.assetsDir)).map((file) => fs.stat(path.join(f.assetsDir, file))));
  t.deepEqual(after.map((st) => [st.ino, st.mtimeMs]), before.map((st) => [st.ino, st.mtimeMs]));
  // A channel whose release is broken (here: its payload lost) takes the same version again.
  await fs.rm(path.join(f.assetsDir, 'releases/stable/labos-2.0.0.img'));
  t.is((await publishRelease(o)).manifest.version, '2.0.0');
});
