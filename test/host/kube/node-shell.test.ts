import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { sshNodeShell } from '../../../src/kube/bootkube-start.js';
import type { NodeSession } from '../../../src/node/ssh.js';
import { needs, root } from '../../support/needs.js';

// chown to another user, as sudo does on a node.
const test = needs(root);

/**
 * How the lab writes a file on a node (a key, a kubeconfig), run here by sh as a node's sudo
 * would run it: its owner and mode, traversable dirs, and nothing half-written left beside it.
 */

/** A session whose commands run on this host, as root, the way `sudo -n` runs them on a node. */
const local = { alias: 'here', run: async (command: string, o: { input?: string }) => {
  const r = await execa('sh', ['-c', command.replace(/^sudo -n /, '')], { input: o.input, reject: false });
  return { code: r.exitCode, stdout: r.stdout, stderr: r.stderr };
} } as unknown as NodeSession;

test('a key: its owner\'s, 0600, in new dirs others may traverse, synced and renamed into place', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'node-shell-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'etc/etcd/tls/peer.key');
  await sshNodeShell(local).writeFile(file, '-----BEGIN PRIVATE KEY-----\nx\n', 0o600, 'nobody');
  t.is(await readFile(file, 'utf8'), '-----BEGIN PRIVATE KEY-----\nx\n');
  const s = await stat(file);
  t.is(s.mode & 0o777, 0o600);
  t.is(s.uid, Number((await execa('id', ['-u', 'nobody'])).stdout));
  for (const d of ['etc', 'etc/etcd', 'etc/etcd/tls']) t.is((await stat(path.join(dir, d))).mode & 0o777, 0o755, d);
  t.deepEqual(await readdir(path.dirname(file)), ['peer.key'], 'no temporary file left');
});

test('a failed write says which node and file, and leaves the old file as it was, with nothing beside it', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'node-shell-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'kubeconfig');
  const shell = sshNodeShell(local);
  await shell.writeFile(file, 'old\n', 0o600);
  const err = await t.throwsAsync(shell.writeFile(file, 'new\n', 0o600, 'no-such-user-here'));
  t.regex(err!.message, /^here: cannot write .*\/kubeconfig: .*no-such-user-here/);
  t.is(await readFile(file, 'utf8'), 'old\n');
  t.deepEqual(await readdir(dir), ['kubeconfig']);
});
