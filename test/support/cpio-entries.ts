import type { CpioEntry } from '../../src/images/cpio.js';

/** One entry of every kind writeCpioGz writes, for the archive tests of both tiers. */
export const CPIO_ENTRIES: CpioEntry[] = [
  { type: 'dir', path: 'bin' },
  { type: 'dir', path: 'dev' },
  { type: 'dir', path: 'tmp', mode: 0o1777 },
  { type: 'file', path: 'init', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
  // 5 bytes of data and a 3-byte name exercise both 4-byte paddings.
  { type: 'file', path: 'bin/abc', data: Buffer.from('hello') },
  { type: 'symlink', path: 'bin/sh', target: '/bin/busybox' },
  { type: 'char', path: 'dev/console', major: 5, minor: 1 },
];
