import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { HostError } from '../../../src/errors.js';
import { checkDnsmasq, checkQemu, findOnPath } from '../../../src/preflight/tools.js';

test('findOnPath finds only executables, in PATH order', async (t) => {
  const [a, b] = await Promise.all([mkdtemp(path.join(os.tmpdir(), 'ml-path-a-')), mkdtemp(path.join(os.tmpdir(), 'ml-path-b-'))]);
  t.teardown(() => Promise.all([rm(a, { recursive: true }), rm(b, { recursive: true })]));
  await writeFile(path.join(a, 'tool'), '#!/bin/sh\n', { mode: 0o644 });
  await writeFile(path.join(b, 'tool'), '#!/bin/sh\n');
  await chmod(path.join(b, 'tool'), 0o755);
  // As root, X_OK still needs at least one execute bit, so a's 0644 file is skipped.
  t.is(await findOnPath('tool', [a, b].join(path.delimiter)), path.join(b, 'tool'));
  t.is(await findOnPath('absent', [a, b].join(path.delimiter)), undefined);
});

test('checkQemu fails with a fix on an empty PATH', async (t) => {
  const err = await t.throwsAsync(checkQemu(''), { instanceOf: HostError });
  t.is(err.message, 'qemu-system-x86_64 is not on PATH');
  t.regex(err.fix, /apt-get install qemu-system-x86/);
});

test('checkDnsmasq fails for a missing binary', async (t) => {
  const err = await t.throwsAsync(checkDnsmasq('/nonexistent/dnsmasq'), { instanceOf: HostError });
  t.regex(err.fix, /dnsmasq-base/);
});
