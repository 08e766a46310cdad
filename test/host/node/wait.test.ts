import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { LabError } from '../../../src/errors.js';
import { HostKeyChangedError } from '../../../src/node/known-hosts.js';
import type { SshTarget } from '../../../src/node/ssh.js';
import { waitForSsh, type SshAttempt } from '../../../src/node/wait.js';
import { needs } from '../../support/needs.js';
import { tempDir } from '../../support/temp-dir.js';
import { freePort, keyPair, SSHD_NEEDS, startSshd } from './sshd.js';

const sshTest = needs(...SSHD_NEEDS);
/** Bounds one login (connect, handshake, `true`) on a loaded machine. */
const LOGIN_MS = 10_000;

async function setup(t: ExecutionContext) {
  const dir = await tempDir(t);
  const client = await keyPair(dir, 'client');
  const port = await freePort();
  const target: SshTarget = {
    host: '127.0.0.1',
    port,
    user: os.userInfo().username,
    privateKey: client.privateKey,
    knownHostsFile: path.join(dir, 'known_hosts'),
    hostAlias: 'node1',
  };
  return { dir, client, port, target };
}

sshTest('waitForSsh succeeds once a late sshd starts, backing off meanwhile', async (t) => {
  const { dir, client, port, target } = await setup(t);
  const attempts: SshAttempt[] = [];
  const start = Date.now();
  let listeningMs = 0;
  const late = new Promise<void>((resolve, reject) =>
    setTimeout(() => startSshd(t, { dir, port, authorizedKey: client.publicKey }).then(() => {
      listeningMs = Date.now() - start;
      resolve();
    }, reject), 2500),
  );
  const r = await waitForSsh(target, { timeoutMs: 30_000, onAttempt: (a) => attempts.push(a) });
  await late;
  t.true(r.attempts >= 3 && r.attempts === attempts.length + 1, `${r.attempts} attempts`);
  t.true(r.ms >= 2500, `${r.ms} ms`);
  // The first attempt after sshd listens logs in: one backoff wait after the last refusal, plus
  // the login itself (generous, for a loaded machine), however long sshd took to start.
  const lastWait = attempts.at(-1)?.nextInMs ?? 0;
  t.true(r.ms <= listeningMs + lastWait + LOGIN_MS, `${r.ms} ms; sshd listened after ${listeningMs} ms, last wait ${lastWait} ms`);
  t.true(attempts.every((a) => a.error === 'connection refused'), JSON.stringify(attempts));
  // Exponential: 0.5 s, 1 s, 2 s, ...
  t.deepEqual(attempts.slice(0, 3).map((a) => a.nextInMs), [500, 1000, 2000].slice(0, Math.min(3, attempts.length)));
});

sshTest('waitForSsh says what it waited for, how often, and the last error when nothing listens', async (t) => {
  const { port, target } = await setup(t);
  const attempts: SshAttempt[] = [];
  const start = Date.now();
  const err = await t.throwsAsync(waitForSsh(target, { timeoutMs: 2500, onAttempt: (a) => attempts.push(a) }), { instanceOf: LabError });
  const took = Date.now() - start;
  t.true(took >= 2400, `${took} ms`);
  // It gives up at its timeout: its waits never reach past it (on a loaded machine the attempts
  // themselves may take longer, so wall time is not the measure).
  t.true(attempts.reduce((sum, a) => sum + a.nextInMs, 0) <= 2500, JSON.stringify(attempts));
  const tries = attempts.length + 1;
  t.regex(err?.message ?? '', new RegExp(`^node1: no SSH login as ${target.user} at 127\\.0\\.0\\.1:${port} within 2\\.5s \\(${tries} attempts\\); last error: connection refused$`));
  t.regex(err?.fix ?? '', /sshd is not listening on node1 yet/);
});

sshTest('waitForSsh reports an auth failure as the last error', async (t) => {
  const { dir, port, target } = await setup(t);
  const stranger = await keyPair(dir, 'stranger');
  await startSshd(t, { dir, port, authorizedKey: stranger.publicKey });
  // Every attempt fails the same way until the timeout; long enough for a slow handshake to finish.
  const err = await t.throwsAsync(waitForSsh(target, { timeoutMs: 10_000 }), { instanceOf: LabError });
  t.regex(err?.message ?? '', /last error: auth failed \(publickey for \w+\)$/);
  t.regex(err?.fix ?? '', /does not accept the lab key/);
});

sshTest('waitForSsh does not retry a changed host key', async (t) => {
  const { dir, client, port, target } = await setup(t);
  const first = await startSshd(t, { dir, port, authorizedKey: client.publicKey });
  await waitForSsh(target, { timeoutMs: 30_000 });
  await first.stop();
  await startSshd(t, { dir, port, authorizedKey: client.publicKey, hostKeyName: 'host2' });
  const attempts: SshAttempt[] = [];
  await t.throwsAsync(waitForSsh(target, { timeoutMs: 30_000, onAttempt: (a) => attempts.push(a) }), { instanceOf: HostKeyChangedError });
  t.deepEqual(attempts, [], 'the first attempt throws, nothing is retried');
});
