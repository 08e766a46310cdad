import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { HostError } from '../../../src/errors.js';
import { checkVirtlogd } from '../../../src/preflight/daemons.js';

test('virtlogd: a listening unix socket passes, a missing one fails', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ml-virtlogd-'));
  const socket = path.join(dir, 'virtlogd-sock');
  const server = net.createServer((c) => c.destroy());
  server.listen(socket);
  await once(server, 'listening');
  t.teardown(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });
  await t.notThrowsAsync(checkVirtlogd(socket));
  const err = await t.throwsAsync(checkVirtlogd(path.join(dir, 'absent-sock')), { instanceOf: HostError });
  t.regex(err.message, /^virtlogd is not running \(.*absent-sock: ENOENT\)$/);
});
