import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { cannotBoot, deriveBrokenRelease } from '../../../src/scenario/publish-broken.js';
import { needs, packageFile, program } from '../../support/needs.js';
import { tempDir } from '../../support/temp-dir.js';
import { osRelease, usrImage } from '../../support/usr-image.js';

// A release's /usr image in miniature (usr-image.ts), edited by deriveBrokenRelease with the
// same debugfs the nightly A/B test boots, then read back with debugfs.
const test = needs(program('mkfs.ext4', 'e2fsprogs'), packageFile('/usr/sbin/debugfs', 'e2fsprogs'));

const cat = async (image: string, file: string) => (await execa('debugfs', ['-R', `cat ${file}`, image])).stdout;

test('a broken 3.0.0 from 2.0.0: an init that says it cannot boot and exits, os-release on 3.0.0, a sparse copy, the source untouched', async (t) => {
  const dir = await tempDir(t, 'publish-broken-test-');
  const usr = await usrImage(dir, '2.0.0');
  const before = await readFile(usr);
  const work = path.join(dir, 'work');
  await mkdir(work);

  const image = await deriveBrokenRelease(usr, '3.0.0', work);
  t.is(image, path.join(work, 'labos-3.0.0-usr.ext4'));
  t.is(await cat(image, '/lib/systemd/systemd'), `#!/bin/sh\necho "${cannotBoot('3.0.0')}"\nexit 1`);
  t.regex((await execa('debugfs', ['-R', 'stat /lib/systemd/systemd', image])).stdout, /Mode:\s+0755/);
  t.is(`${await cat(image, '/lib/os-release')}\n`, osRelease('3.0.0'));
  t.regex((await execa('sh', ['-c', `sh -c "$(debugfs -R 'cat /lib/systemd/systemd' ${image} 2>/dev/null)"; echo "exit $?"`])).stdout, /^labos 3\.0\.0: this release cannot boot\nexit 1$/);
  const copy = await stat(image);
  t.is(copy.size, 64 * 2 ** 20);
  t.true(copy.blocks * 512 < copy.size / 4, `sparse: ${copy.blocks * 512} bytes allocated`);
  t.true((await readFile(usr)).equals(before), 'the release it came from is as it was');
  t.is((await execa('e2fsck', ['-fn', image], { reject: false })).exitCode, 0, 'a clean filesystem');
});

test('an image with no VERSION in its os-release is refused with a fix', async (t) => {
  const dir = await tempDir(t, 'publish-broken-test-');
  const tree = path.join(dir, 'usr');
  await mkdir(path.join(tree, 'lib/systemd'), { recursive: true });
  await writeFile(path.join(tree, 'lib/os-release'), 'ID=debian\n');
  await writeFile(path.join(tree, 'lib/systemd/systemd'), 'x');
  const usr = path.join(dir, 'usr.ext4');
  await execa('mkfs.ext4', ['-q', '-F', '-d', tree, usr, '16M']);
  await t.throwsAsync(deriveBrokenRelease(usr, '3.0.0', dir), { message: 'the release image has no VERSION in /lib/os-release' });
});
