import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { HostError } from '../../../src/errors.js';

// Point virsh at a socket that does not exist before virsh.ts reads the URI: a real,
// unreachable libvirtd without stopping the host's.
process.env.METAL_LAB_LIBVIRT_URI = 'qemu:///system?socket=/nonexistent/libvirt-sock';
const { checkLibvirtd, checkVirtlogd } = await import('../../../src/preflight/daemons.js');

test('an unreachable libvirtd is a HostError naming the URI, with the start command as fix', async (t) => {
  const err = await t.throwsAsync(checkLibvirtd(), { instanceOf: HostError });
  t.regex(err.message, /^libvirtd is unreachable at qemu:\/\/\/system\?socket=\/nonexistent\/libvirt-sock: .+/);
  t.is(err.fix, 'start them: virtlogd -d; libvirtd -d (or run ./metal-lab setup)');
  t.is(err.exitCode, 2);
});

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

// The host's own daemons: .ci/run and `./metal-lab setup` start them; elsewhere say why not.
const hostVirtlogd = existsSync('/run/libvirt/virtlogd-sock') ? test : test.skip;
hostVirtlogd('the host virtlogd (started by ./metal-lab setup) is reachable', async (t) => {
  await t.notThrowsAsync(checkVirtlogd());
});
