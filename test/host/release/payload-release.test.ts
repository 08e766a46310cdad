import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { LabError } from '../../../src/errors.js';
import { checkPayloadRelease, payloadVersion } from '../../../src/release/payload-release.js';
import { needs, packageFile } from '../../support/needs.js';
import { tempDir } from '../../support/temp-dir.js';

// What `release publish` reads from a payload before it signs anything: the release a labos /usr
// image carries, from real ext4 images that mkfs.ext4 makes from a tree, read back with debugfs.

const test = needs(packageFile('/usr/sbin/debugfs', 'e2fsprogs'));

async function usrImage(dir: string, osRelease?: string): Promise<string> {
  const tree = path.join(dir, 'tree');
  await fs.mkdir(path.join(tree, 'lib'), { recursive: true });
  if (osRelease !== undefined) await fs.writeFile(path.join(tree, 'lib/os-release'), osRelease);
  const image = path.join(dir, 'usr.ext4');
  await execa('mkfs.ext4', ['-q', '-F', '-L', 'usr', '-d', tree, image, '4M']);
  return image;
}

const refusal = async (file: string, version: string | undefined) =>
  (await checkPayloadRelease(file, version).then(() => undefined, (e: unknown) => e)) as LabError | undefined;

test('the release a /usr image carries is its os-release VERSION; publishing it as that version passes', async (t) => {
  const image = await usrImage(await tempDir(t, 'payload-'), 'NAME=labos\nID=labos\nVERSION=2.0.0\nVERSION_ID=2.0.0\n');
  t.is(await payloadVersion(image), '2.0.0');
  t.is(await checkPayloadRelease(image, '2.0.0'), '2.0.0');
});

test('a payload of another version, without os-release, or not ext4 at all is one line, exit 2', async (t) => {
  const dir = await tempDir(t, 'payload-');
  const v3 = await usrImage(path.join(dir, 'v3'), 'ID=labos\nVERSION="3.0.0"\n');
  const wrong = await refusal(v3, '2.0.0');
  t.is(wrong?.exitCode, 2);
  t.is(wrong?.line(), `payload ${v3} is labos 3.0.0, not 2.0.0: nodes would install it again at every check. Fix: publish it as --version 3.0.0, or build 2.0.0 with metal-lab build disk --labos-version 2.0.0`);

  const bare = await usrImage(path.join(dir, 'bare'));
  t.regex((await refusal(bare, '2.0.0'))?.line() ?? '', /has no VERSION in \/usr\/lib\/os-release, so it is not a labos \/usr\. Fix: pass the usr\.ext4 that `metal-lab build disk --labos-version V` prints$/);

  const random = path.join(dir, 'random.img');
  await fs.writeFile(random, randomBytes(1 << 20));
  t.regex((await refusal(random, '2.0.0'))?.line() ?? '', /random\.img is not an ext4 filesystem image, so not a labos \/usr\. Fix:/);

  t.regex((await refusal(v3, undefined))?.line() ?? '', /^no release version given\. Fix: pass --version/, 'the version is checked first');
});
