import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { ExecutionContext } from 'ava';
import { execa } from 'execa';
import { LabError } from '../../../src/errors.js';
import { forgetHostKey, HostKeyChangedError, readKnownHosts } from '../../../src/node/known-hosts.js';
import { connectNode, type SshTarget } from '../../../src/node/ssh.js';
import { pending, waitFor } from '../../../src/toolkit/wait-for.js';
import { needs } from '../../support/needs.js';
import { tempDir } from '../../support/temp-dir.js';
import { freePort, keyPair, SSHD_NEEDS, startSshd } from './sshd.js';

const sshTest = needs(...SSHD_NEEDS);
/** Time enough for a login or a quick command on a loaded machine; none of these takes it on an idle one. */
const SLOW_MS = 60_000;

/** A fresh sshd, client key and known_hosts per test, so tests can run concurrently. */
async function fixture(t: ExecutionContext) {
  const dir = await tempDir(t);
  const client = await keyPair(dir, 'client');
  const sshd = await startSshd(t, { dir, port: await freePort(), authorizedKey: client.publicKey });
  const target: SshTarget = {
    host: '127.0.0.1',
    port: sshd.port,
    user: os.userInfo().username,
    privateKey: client.privateKey,
    knownHostsFile: path.join(dir, 'known_hosts'),
    hostAlias: 'node1',
    timeoutMs: SLOW_MS,
  };
  return { dir, sshd, client, target };
}

async function open(t: ExecutionContext) {
  const f = await fixture(t);
  const s = await connectNode(f.target);
  t.teardown(() => s.close());
  return { ...f, s };
}

sshTest('run returns output, exit code and signal', async (t) => {
  const { s } = await open(t);
  t.deepEqual(await s.run('echo out; echo err >&2; exit 3', { timeoutMs: SLOW_MS }), { stdout: 'out\n', stderr: 'err\n', code: 3, signal: null });
  t.deepEqual(await s.run('kill -TERM $$', { timeoutMs: SLOW_MS }), { stdout: '', stderr: '', code: null, signal: 'SIGTERM' });
});

/** Debian's bash reads ~/.bashrc for a command sshd runs, as a user's login shell may print there. */
const bashTest = needs(...SSHD_NEEDS, { what: 'bash as the login shell', fix: 'run the tests as a user whose shell is bash', present: () => os.userInfo().shell === '/bin/bash' });

bashTest('what the login shell prints first stays in stderr; the status and the kill on timeout still work', async (t) => {
  const { s, dir } = await open(t);
  await fs.writeFile(path.join(dir, '.bashrc'), 'echo startup noise >&2\n');
  t.deepEqual(await s.run('echo out; echo err >&2; exit 3', { timeoutMs: SLOW_MS }), { stdout: 'out\n', stderr: 'startup noise\nerr\n', code: 3, signal: null });
  await t.throwsAsync(s.run('sleep 917.5', { timeoutMs: 1500 }), { instanceOf: LabError });
  const gone = async () => (await execa('pgrep', ['-f', 'sleep 917.5'], { reject: false })).stdout === '' || pending('sleep 917.5 left running');
  await t.notThrowsAsync(waitFor('the timed-out command to be gone', gone, { deadline: Date.now() + 10_000, intervalMs: 100 }));
});

sshTest('run feeds input to stdin and closes it', async (t) => {
  const { s } = await open(t);
  t.is((await s.run('cat', { timeoutMs: SLOW_MS })).stdout, '', 'no input: stdin is closed, cat does not hang');
  const input = crypto.randomBytes(1 << 20);
  const r = await s.run('sha256sum', { timeoutMs: SLOW_MS, input });
  t.is(r.stdout.split(' ')[0], crypto.createHash('sha256').update(input).digest('hex'));
  t.is((await s.run('tr a-z A-Z', { timeoutMs: SLOW_MS, input: 'hello\n' })).stdout, 'HELLO\n');
});

sshTest('a command over its timeout is killed, with node, command and time in the error', async (t) => {
  const { s } = await open(t);
  const start = Date.now();
  const err = await t.throwsAsync(s.run('sleep 917.25; echo never', { timeoutMs: 1500 }), { instanceOf: LabError });
  // Cut at its timeout, not when the 15-minute sleep ends; a loaded machine gets its slack.
  const took = Date.now() - start;
  t.true(took < 30_000, `${took} ms`);
  t.is(err?.message, 'node1: `sleep 917.25; echo never` did not finish within 1.5s; killed it');
  // The whole remote process group is gone, not just our channel: the kill lands on the node
  // after the run has returned, so give it up to 10 s.
  const gone = async () => {
    const pids = (await execa('pgrep', ['-f', 'sleep 917.25'], { reject: false })).stdout;
    return pids === '' || pending(`left running: ${pids}`);
  };
  await t.notThrowsAsync(waitFor('the timed-out command to be gone', gone, { deadline: Date.now() + 10_000, intervalMs: 100 }));
  t.is((await s.run('echo still usable', { timeoutMs: SLOW_MS })).stdout, 'still usable\n');
});

sshTest('a command whose timeout fires before its channel opens is killed once it starts', async (t) => {
  const { s, sshd } = await open(t);
  // sshd stopped for 3 s, as a loaded node: the 1 s timeout fires while the channel is still
  // being opened; then the command starts all the same and must not be left running.
  const { thawed } = await sshd.freeze(3000);
  await t.throwsAsync(s.run('sleep 917.5; echo never', { timeoutMs: 1000 }), { message: /did not finish within 1s; killed it/ });
  await thawed;
  const gone = async () => {
    const pids = (await execa('pgrep', ['-f', 'sleep 917.5'], { reject: false })).stdout;
    return pids === '' || pending(`left running: ${pids}`);
  };
  await t.notThrowsAsync(waitFor('the late command to be gone', gone, { deadline: Date.now() + 10_000, intervalMs: 100 }));
});

sshTest('a node silent for less than silenceMs keeps its connection; silent for longer, the connection is lost', async (t) => {
  const f = await fixture(t);
  const brief = await connectNode({ ...f.target, silenceMs: 10_000 });
  const patient = await connectNode({ ...f.target, silenceMs: 120_000 });
  t.teardown(() => Promise.all([brief.close(), patient.close()]));
  // Both commands are sent while sshd is stopped: they wait for it, as on a stalled guest.
  const { thawed } = await f.sshd.freeze(35_000);
  const [lost, kept] = await Promise.allSettled([brief.run('echo brief', { timeoutMs: 120_000 }), patient.run('echo patient', { timeoutMs: 120_000 })]);
  await thawed;
  t.is(lost.status, 'rejected');
  // Lost while its channel was being opened or once the command was under way: either says so.
  t.regex(String((lost as PromiseRejectedResult).reason), /node1: (connection lost while running `echo brief`|cannot run `echo brief`: No response from server)/);
  t.deepEqual(kept.status === 'fulfilled' && kept.value.stdout, 'patient\n');
});

sshTest('close gives up on a node that never answers the disconnect, and frees its socket', async (t) => {
  const f = await fixture(t);
  const s = await connectNode(f.target);
  // Stopped: sshd neither reads our disconnect nor closes its side, as a node whose network died.
  const { thawed } = await f.sshd.freeze(20_000);
  const start = Date.now();
  await s.close();
  const took = Date.now() - start;
  await thawed;
  // Its 2 s grace, then the socket is destroyed: not held until the node answers (mscdex/ssh2#1124).
  t.true(took < 10_000, `${took} ms`);
});

sshTest('copyTo and copyFrom move bytes and modes over SFTP', async (t) => {
  const { s, dir } = await open(t);
  const remote = path.join(dir, 'remote');
  await fs.mkdir(remote);
  const secret = crypto.randomBytes(300_000);
  await s.copyTo(secret, `${remote}/secret`, { mode: 0o600 });
  await s.copyTo(secret, `${remote}/public`);
  const script = path.join(dir, 'script.sh');
  await fs.writeFile(script, '#!/bin/sh\necho ran\n', { mode: 0o755 });
  await s.copyTo(script, `${remote}/script.sh`);
  // Modes as the node sees them (not filtered by sshd's umask), and the script runs there.
  t.is((await s.run(`stat -c '%n %a' ${remote}/secret ${remote}/public ${remote}/script.sh`, { timeoutMs: SLOW_MS })).stdout,
    `${remote}/secret 600\n${remote}/public 644\n${remote}/script.sh 755\n`);
  t.is((await s.run(`${remote}/script.sh`, { timeoutMs: SLOW_MS })).stdout, 'ran\n');

  const back = path.join(dir, 'back');
  await s.copyFrom(`${remote}/secret`, back);
  t.true((await fs.readFile(back)).equals(secret));
  t.is((await fs.stat(back)).mode & 0o777, 0o600);
  await s.copyFrom(`${remote}/script.sh`, back, { mode: 0o700 });
  t.is((await fs.stat(back)).mode & 0o777, 0o700);

  const missing = await t.throwsAsync(s.copyFrom('/nonexistent/file', back), { instanceOf: LabError });
  t.regex(missing?.message ?? '', /^node1: copy node1:\/nonexistent\/file to .* failed: No such file/);
  const noDir = await t.throwsAsync(s.copyTo(secret, '/nonexistent/dir/file'), { instanceOf: LabError });
  t.regex(noDir?.message ?? '', /^node1: copy 300000 bytes to node1:\/nonexistent\/dir\/file failed/);
});

sshTest('shell without a terminal runs stdin through the login shell', async (t) => {
  const { s } = await open(t);
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (b: Buffer) => (out += b));
  stdin.end('echo hello from $0; exit 4\n');
  const r = await s.shell({ stdin, stdout, stderr: new PassThrough() });
  t.deepEqual(r, { code: 4, signal: null });
  t.regex(out, /^hello from /);
});

sshTest('host key is pinned on first contact, a changed key refused, accepted again after forgetHostKey', async (t) => {
  const { target, dir, sshd, client } = await fixture(t);
  const first = await connectNode(target);
  await first.close();
  // The fingerprint and file agree with OpenSSH's own tools.
  const openssh = (await execa('ssh-keygen', ['-l', '-f', `${sshd.hostKey.file}.pub`])).stdout.split(' ')[1];
  t.deepEqual(first.hostKey, { fingerprint: openssh, firstContact: true });
  t.deepEqual((await readKnownHosts(target.knownHostsFile)).map((e) => [e.alias, e.type, e.fingerprint]), [['node1', 'ssh-ed25519', openssh]]);
  const found = await execa('ssh-keygen', ['-F', 'node1', '-f', target.knownHostsFile]);
  t.regex(found.stdout, /node1 ssh-ed25519 /);

  const again = await connectNode(target);
  await again.close();
  t.deepEqual(again.hostKey, { fingerprint: openssh, firstContact: false });

  // The node is "reinstalled": same address, new host key.
  await sshd.stop();
  const reinstalled = await startSshd(t, { dir, port: sshd.port, authorizedKey: client.publicKey, hostKeyName: 'host2' });
  const fresh = (await execa('ssh-keygen', ['-l', '-f', `${reinstalled.hostKey.file}.pub`])).stdout.split(' ')[1]!;
  const err = await t.throwsAsync(connectNode(target), { instanceOf: HostKeyChangedError });
  t.is(err?.message, `node1 (127.0.0.1:${target.port}) offered host key ${fresh}, but ${openssh} is pinned for it in ${target.knownHostsFile}; refusing to connect`);
  t.regex(err?.fix ?? '', /node1 was reinstalled, forget the old key: metal-lab ssh node1 --forget-host-key/);
  t.is((await readKnownHosts(target.knownHostsFile)).length, 1, 'the refused key is not recorded');

  t.deepEqual((await forgetHostKey(target.knownHostsFile, 'node1')).map((e) => e.fingerprint), [openssh]);
  t.deepEqual(await forgetHostKey(target.knownHostsFile, 'node1'), []);
  const after = await connectNode(target);
  t.teardown(() => after.close());
  t.deepEqual(after.hostKey, { fingerprint: fresh, firstContact: true });
  t.is((await after.run('echo ok', { timeoutMs: SLOW_MS })).stdout, 'ok\n');
});

sshTest('forgetHostKey removes only that alias', async (t) => {
  const { dir, target } = await fixture(t);
  const file = path.join(dir, 'kh');
  const other = await connectNode({ ...target, knownHostsFile: file, hostAlias: 'node2' });
  await other.close();
  const mine = await connectNode({ ...target, knownHostsFile: file });
  await mine.close();
  t.deepEqual((await readKnownHosts(file)).map((e) => e.alias), ['node2', 'node1']);
  await forgetHostKey(file, 'node1');
  t.deepEqual((await readKnownHosts(file)).map((e) => e.alias), ['node2']);
  t.deepEqual(await forgetHostKey(path.join(dir, 'absent'), 'node1'), []);
});

sshTest('concurrent first contacts pin the key once', async (t) => {
  const { target } = await fixture(t);
  const sessions = await Promise.all(Array.from({ length: 4 }, () => connectNode(target)));
  await Promise.all(sessions.map((s) => s.close()));
  t.is(sessions.filter((s) => s.hostKey.firstContact).length, 1);
  t.is((await readKnownHosts(target.knownHostsFile)).length, 1);
});

sshTest('a wrong client key is an auth failure, naming the node and the user', async (t) => {
  const { dir, target } = await fixture(t);
  const other = await keyPair(dir, 'stranger');
  const err = await t.throwsAsync(connectNode({ ...target, privateKey: other.privateKey }), { instanceOf: LabError });
  t.is(err?.message, `ssh ${target.user}@127.0.0.1:${target.port} (node1): auth failed (publickey for ${target.user})`);
  t.regex(err?.fix ?? '', /does not accept the lab key/);
});
