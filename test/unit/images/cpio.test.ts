import { mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { type CpioEntry, writeCpioGz } from '../../../src/images/cpio.js';

const entries: CpioEntry[] = [
  { type: 'dir', path: 'bin' },
  { type: 'dir', path: 'dev' },
  { type: 'dir', path: 'tmp', mode: 0o1777 },
  { type: 'file', path: 'init', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
  // 5 bytes of data and a 3-byte name exercise both 4-byte paddings.
  { type: 'file', path: 'bin/abc', data: Buffer.from('hello') },
  { type: 'symlink', path: 'bin/sh', target: '/bin/busybox' },
  { type: 'char', path: 'dev/console', major: 5, minor: 1 },
];

async function withArchive(run: (archive: string, dir: string) => Promise<void>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cpio-test-'));
  try {
    const archive = path.join(dir, 'initrd.img');
    await writeCpioGz(entries, archive);
    await run(archive, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('GNU cpio lists every entry with its type, mode, owner and device numbers', async (t) => {
  await withArchive(async (archive) => {
    const { stdout } = await execa('sh', ['-c', `gzip -dc "${archive}" | cpio -itv --numeric-uid-gid`]);
    const lines = stdout.split('\n').map((l) => l.replace(/\s+/g, ' '));
    t.is(lines.length, entries.length);
    t.regex(lines[2] ?? '', /^drwxrwxrwt 2 0 0 0 .* tmp$/);
    t.regex(lines[3] ?? '', /^-rwxr-xr-x 1 0 0 18 .* init$/);
    t.regex(lines[4] ?? '', /^-rw-r--r-- 1 0 0 5 .* bin\/abc$/);
    t.regex(lines[5] ?? '', /^lrwxrwxrwx 1 0 0 12 .* bin\/sh -> \/bin\/busybox$/);
    t.regex(lines[6] ?? '', /^crw------- 1 0 0 5, 1 .* dev\/console$/);
  });
});

test('GNU cpio extracts the files with their contents', async (t) => {
  await withArchive(async (archive, dir) => {
    const root = path.join(dir, 'root');
    // Device nodes are left out so the test also runs without root.
    await execa('sh', ['-c', `mkdir "${root}" && cd "${root}" && gzip -dc "${archive}" | cpio -id --quiet --nonmatching 'dev/console'`]);
    t.is(await readFile(path.join(root, 'init'), 'utf8'), '#!/bin/sh\necho hi\n');
    t.is(await readFile(path.join(root, 'bin/abc'), 'utf8'), 'hello');
    t.is(await readlink(path.join(root, 'bin/sh')), '/bin/busybox');
  });
});

test('the same entries give byte-identical archives', async (t) => {
  await withArchive(async (archive, dir) => {
    const again = path.join(dir, 'again.img');
    await writeCpioGz(entries, again);
    t.true((await readFile(archive)).equals(await readFile(again)));
  });
});
