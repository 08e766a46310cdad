import { mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { writeCpioGz } from '../../../src/images/cpio.js';
import { CPIO_ENTRIES as entries } from '../../support/cpio-entries.js';
import { needs, program } from '../../support/needs.js';

// GNU cpio, an independent reader of what writeCpioGz writes (gzip is a Debian essential).
const test = needs(program('cpio', 'cpio'));

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
