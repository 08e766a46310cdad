import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { execa } from 'execa';
import { pending, waitFor } from '../../../src/toolkit/wait-for.js';
import { needs, root } from '../../support/needs.js';
import { busCall, busMonitor, startPrivateSystemBus, type PrivateBus } from '../../support/private-bus.js';
import { testKey } from '../../support/test-keys.js';
import { BOOT_FILES, PAYLOAD, PAYLOAD_NAME, sha512, startReleaseChannel, usrImage, type Release, type ReleaseChannel } from './release-channel.js';
import {
  ENGINE_DIR,
  GOOD_A,
  MANAGER,
  NAME,
  OBJECT,
  OLD_A,
  POLICY,
  UPDATE_ENGINE_NEEDS,
  grubenv,
  makeNode,
  snapshot,
  startEngine,
  status,
  type Engine,
  type NodeOptions,
  type Status,
} from './update-engine-node.js';

// The real update engine of the labos image (a Python D-Bus service), run on the host against a
// private dbus-daemon configured like the system bus, files standing in for the node's slot
// devices, grubenv and config, and a release channel served from this process. Everything is
// observed through busctl, as Flatcar's update agent would see it.

const test = needs(...UPDATE_ENGINE_NEEDS);

const SIGNALS = `type='signal',interface='${MANAGER}',member='StatusUpdate'`;
const S = {
  idle: 'UPDATE_STATUS_IDLE',
  checking: 'UPDATE_STATUS_CHECKING_FOR_UPDATE',
  available: 'UPDATE_STATUS_UPDATE_AVAILABLE',
  downloading: 'UPDATE_STATUS_DOWNLOADING',
  verifying: 'UPDATE_STATUS_VERIFYING',
  finalizing: 'UPDATE_STATUS_FINALIZING',
  needReboot: 'UPDATE_STATUS_UPDATED_NEED_REBOOT',
  error: 'UPDATE_STATUS_REPORTING_ERROR_EVENT',
};

let tmp: string;
let bus: PrivateBus;
let channel: ReleaseChannel;
let releasePub: string;

test.before(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'labos-update-engine-test-'));
  await chmod(tmp, 0o755); // the bus socket, for the policy test's other user
  bus = await startPrivateSystemBus(tmp, [POLICY]);
  const [releaseKey, otherKey] = [await testKey(), await testKey()];
  releasePub = createPublicKey(releaseKey).export({ type: 'spki', format: 'pem' }) as string;
  channel = await startReleaseChannel(releaseKey, otherKey);
});
test.after.always(async () => {
  await bus?.stop();
  await channel?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

const newNode = (t: ExecutionContext, o: Partial<NodeOptions> = {}) => makeNode(t, { busAddress: bus.address, server: channel.url, releaseKey: releasePub, ...o });

const call = (member: string, uid?: number) => busCall(bus.address, NAME, OBJECT, MANAGER, member, { uid });

/** The operations the signals went through, each once. */
const operations = (statuses: Status[]) => statuses.map((s) => s.operation).filter((op, i, all) => op !== all[i - 1]);

/** Collects StatusUpdate signals from `start` on until an attempt ends (IDLE or NEED_REBOOT). */
async function watchAttempt(t: ExecutionContext, start: () => Promise<unknown>, log: () => string): Promise<Status[]> {
  const monitor = await busMonitor(bus.address, SIGNALS);
  try {
    await start();
    await waitFor(
      'the update attempt to end in IDLE or UPDATED_NEED_REBOOT',
      async () => {
        const last = monitor.bodies.at(-1)?.data[2];
        return last === S.idle || last === S.needReboot ? true : pending(`signals so far: ${monitor.bodies.map((b) => b.data[2]).join(' ')}`);
      },
      { deadline: Date.now() + 20_000, intervalMs: 50, evidence: () => [log()] },
    );
  } finally {
    await monitor.stop();
  }
  return monitor.bodies.map((b) => status(t, b));
}

const attemptUpdate = (t: ExecutionContext, engine: Engine) => watchAttempt(t, () => call('AttemptUpdate'), engine.log);

const payloadRequests = () => channel.requests.filter((r) => r.endsWith(PAYLOAD_NAME)).length;

test.serial('GetStatus answers (x d s s x) as update_engine does: idle, never checked, no new version', async (t) => {
  const engine = await startEngine(t, await newNode(t));
  const s = status(t, await call('GetStatus'));
  t.deepEqual(s, { lastChecked: 0, progress: 0, operation: S.idle, newVersion: '0.0.0', newSize: 0 });
  t.regex(engine.log(), /com\.coreos\.update1 on the system bus, UPDATE_STATUS_IDLE, checking every 3600 s/);
});

test.serial('a signed release is installed into the other slot with its kernel, put first in the boot selection, and reported as NEED_REBOOT, also after a restart', async (t) => {
  channel.publish();
  const node = await newNode(t);
  const engine = await startEngine(t, node);
  const started = Math.floor(Date.now() / 1000);
  const statuses = await attemptUpdate(t, engine);

  t.deepEqual(operations(statuses), [S.checking, S.available, S.downloading, S.verifying, S.finalizing, S.needReboot]);
  const progress = statuses.filter((s) => s.operation === S.downloading).map((s) => s.progress);
  t.is(progress[0], 0);
  t.is(progress.at(-1), 1);
  t.true(progress.every((p, i) => i === 0 || p > progress[i - 1]!), `download progress rises: ${progress.join(' ')}`);
  const done = statuses.at(-1)!;
  t.like(done, { operation: S.needReboot, newVersion: '2.0.0', newSize: PAYLOAD.length });
  t.true(done.lastChecked >= started && done.lastChecked <= Date.now() / 1000, `last_checked_time ${done.lastChecked}`);
  t.deepEqual(status(t, await call('GetStatus')), done);

  t.true((await readFile(node.slotB)).equals(PAYLOAD), 'the passive slot holds the payload');
  t.true((await readFile(node.slotA)).equals(OLD_A), 'the booted slot is untouched');
  for (const [name, content] of Object.entries(BOOT_FILES)) {
    t.true((await readFile(path.join(node.bootDir, 'B', name))).equals(content), `slot B boots the release's own ${name}`);
  }
  t.like(await grubenv(node), { ORDER: 'B A', B_OK: '1', B_TRY: '0', A_OK: '1', A_TRY: '0' });
  t.true(existsSync(node.marker));
  t.deepEqual(channel.requests, ['/releases/stable/release.json', '/releases/stable/release.json.sig', `/releases/stable/${PAYLOAD_NAME}`, `/releases/stable/${PAYLOAD_NAME}`]);
  t.regex(engine.log(), /slot B boots next with 2\.0\.0 \(ORDER=B A\)/);

  // Installed: nothing more happens until the reboot, whoever asks.
  await call('AttemptUpdate');
  t.deepEqual(status(t, await call('GetStatus')), done);
  await engine.stop();
  const restarted = await startEngine(t, node);
  t.deepEqual(status(t, await call('GetStatus')), done, 'the marker keeps NEED_REBOOT across a restart');
  t.regex(restarted.log(), /UPDATE_STATUS_UPDATED_NEED_REBOOT, checking every/);
});

test.serial('ResetStatus after an install cancels it: the booted slot boots first again and the status is IDLE', async (t) => {
  channel.publish();
  const node = await newNode(t);
  const engine = await startEngine(t, node);
  t.is((await attemptUpdate(t, engine)).at(-1)?.operation, S.needReboot);
  const reset = await watchAttempt(t, () => call('ResetStatus'), engine.log);
  t.deepEqual(reset, [{ ...reset[0]!, progress: 0, operation: S.idle, newVersion: '0.0.0', newSize: 0 }]);
  t.like(await grubenv(node), { ORDER: 'A B', A_OK: '1', A_TRY: '0' });
  t.false(existsSync(node.marker));
});

interface Refusal {
  what: string;
  release: Release;
  operations: string[];
  reason: RegExp;
  payloadRequests: number;
}

const REFUSALS: Refusal[] = [
  {
    what: 'a truncated payload',
    release: { served: PAYLOAD.subarray(0, PAYLOAD.length / 2) },
    operations: [S.checking, S.available, S.downloading, S.error, S.idle],
    reason: new RegExp(`update refused: size mismatch: .*/${PAYLOAD_NAME} is ${PAYLOAD.length / 2} bytes, the signed manifest says ${PAYLOAD.length}`),
    payloadRequests: 1,
  },
  {
    what: 'a payload with another sha512 than the signed one',
    release: { sha512: sha512(Buffer.from('another payload')) },
    operations: [S.checking, S.available, S.downloading, S.verifying, S.error, S.idle],
    reason: /update refused: sha512 mismatch: .* hashes to [0-9a-f]{16}\.\.\., the signed manifest says [0-9a-f]{16}\.\.\./,
    payloadRequests: 1,
  },
  {
    what: 'a manifest signed by another key',
    release: { badSignature: true },
    operations: [S.checking, S.error, S.idle],
    reason: /update refused: bad signature: .*\/release\.json\.sig does not verify with .*release\.pub \(Verification failure\)/,
    payloadRequests: 0,
  },
];

for (const r of REFUSALS) {
  test.serial(`${r.what} is refused with the reason in the log, and neither slot nor the boot selection changes`, async (t) => {
    channel.publish(r.release);
    const node = await newNode(t);
    const engine = await startEngine(t, node);
    const before = await snapshot(node);
    const statuses = await attemptUpdate(t, engine);
    t.deepEqual(operations(statuses), r.operations);
    t.regex(engine.log(), r.reason);
    t.deepEqual(await snapshot(node), before);
    t.false(existsSync(node.marker));
    t.is(payloadRequests(), r.payloadRequests);
    t.like(status(t, await call('GetStatus')), { operation: S.idle });
  });
}

test.serial('a signed payload that is not a labos /usr image is written but never booted: the slot stays disabled', async (t) => {
  const notUsr = await usrImage({ 'lib/os-release': Buffer.from('ID=labos\nVERSION=2.0.0\n') });
  channel.publish({ payload: notUsr });
  const node = await newNode(t);
  const engine = await startEngine(t, node);
  const statuses = await attemptUpdate(t, engine);
  t.deepEqual(operations(statuses), [S.checking, S.available, S.downloading, S.verifying, S.finalizing, S.error, S.idle]);
  t.regex(engine.log(), /update refused: slot B has no \/usr\/lib\/labos\/boot\/vmlinuz .*not a labos \/usr image; slot B stays disabled/);
  t.like(await grubenv(node), { ORDER: 'A B', A_OK: '1', A_TRY: '0', B_OK: '0' });
  t.false(existsSync(path.join(node.bootDir, 'B', 'vmlinuz')));
  t.false(existsSync(node.marker));
});

test.serial('a channel without a release (404) is no update; /etc/flatcar/update.conf chooses the channel', async (t) => {
  channel.publish(); // on stable, which the override leaves
  const node = await newNode(t, { group: 'beta' });
  const engine = await startEngine(t, node);
  const before = await snapshot(node);
  const statuses = await attemptUpdate(t, engine);
  t.deepEqual(operations(statuses), [S.checking, S.idle]);
  t.true(statuses.at(-1)!.lastChecked > 0);
  t.deepEqual(channel.requests, ['/releases/beta/release.json']);
  t.regex(engine.log(), /no release on channel beta \(404\)/);
  t.deepEqual(await snapshot(node), before);
});

test.serial('the engine checks by itself every CHECK_INTERVAL; the release it runs is no update', async (t) => {
  channel.publish({ version: '1.0.0' }); // the image's VERSION
  const node = await newNode(t, { checkInterval: 1 });
  const before = await snapshot(node);
  let engine: Engine | undefined;
  const log = () => engine?.log() ?? '';
  // Watching from before the engine starts, so its first check is seen whole.
  const statuses = await watchAttempt(t, async () => (engine = await startEngine(t, node)), log);
  t.deepEqual(operations(statuses).slice(0, 2), [S.checking, S.idle]);
  t.regex(log(), /periodic check: checking for an update[\s\S]*up to date: channel stable has 1\.0\.0/);
  t.is(payloadRequests(), 0);
  t.deepEqual(await snapshot(node), before);
});

test.serial('a node without SERVER= in its update.conf stays idle and checks nothing', async (t) => {
  const node = await newNode(t);
  await writeFile(node.env.LABOS_UPDATE_CONF!, 'CHECK_INTERVAL=1\n');
  channel.requests = [];
  const monitor = await busMonitor(bus.address, SIGNALS);
  t.teardown(() => monitor.stop());
  const engine = await startEngine(t, node);
  await waitFor('two periodic checks', async () => (engine.log().match(/not checking for updates/g)?.length ?? 0) >= 2 || undefined, {
    deadline: Date.now() + 10_000,
    intervalMs: 100,
    evidence: () => [engine.log()],
  });
  await monitor.stop();
  t.deepEqual(monitor.bodies, []);
  t.deepEqual(channel.requests, []);
  t.regex(engine.log(), /no SERVER= in .*update\.conf: not checking for updates/);
  t.is(status(t, await call('GetStatus')).operation, S.idle);
});

test.serial('a booted slot not yet marked good keeps its fallback: the update is refused before any download', async (t) => {
  channel.publish();
  const node = await newNode(t, { grubenv: { ...GOOD_A, A_TRY: '1' } });
  const engine = await startEngine(t, node);
  const before = await snapshot(node);
  const statuses = await attemptUpdate(t, engine);
  t.deepEqual(operations(statuses), [S.checking, S.available, S.error, S.idle]);
  t.regex(engine.log(), /booted slot A is not marked good yet \(A_OK=1, A_TRY=1\): slot B is its fallback and stays/);
  t.is(payloadRequests(), 0);
  t.deepEqual(await snapshot(node), before);
});

test.serial('mark-good confirms the booted slot (TRY=0, OK=1) and puts it first; a tried, unconfirmed other slot is dropped', async (t) => {
  // GRUB booted B, just installed, and counted the try.
  const node = await newNode(t, { booted: 'B', grubenv: { ...GOOD_A, ORDER: 'B A', A_OK: '1', A_TRY: '0', B_OK: '1', B_TRY: '1' } });
  const r = await execa(path.join(ENGINE_DIR, 'mark-good'), [], { env: node.env, extendEnv: false });
  t.is(r.stdout, `mark-good: slot B is good (B_OK=1, B_TRY=0 in ${node.grubenv})`);
  t.deepEqual(await grubenv(node), { ...GOOD_A, ORDER: 'B A', A_OK: '1', A_TRY: '0', B_OK: '1', B_TRY: '0' });

  // Back on B after a failed try of A (GRUB fell back): A is no longer complete, B boots first.
  await execa('grub-editenv', [node.grubenv, 'set', 'ORDER=A B', 'A_OK=1', 'A_TRY=1', 'B_TRY=1']);
  await execa(path.join(ENGINE_DIR, 'mark-good'), [], { env: node.env, extendEnv: false });
  t.like(await grubenv(node), { ORDER: 'B A', A_OK: '0', A_TRY: '0', B_OK: '1', B_TRY: '0' });

  await writeFile(node.env.LABOS_CMDLINE!, 'root=/dev/vda console=ttyS0\n');
  const notAB = await execa(path.join(ENGINE_DIR, 'mark-good'), [], { env: node.env, extendEnv: false, reject: false });
  t.is(notAB.exitCode, 1);
  t.regex(notAB.stderr, /no labos\.slot=A\|B in .*cmdline: not an A\/B boot/);
});

needs(...UPDATE_ENGINE_NEEDS, root).serial('the D-Bus policy parses in dbus-daemon; other users may call GetStatus, but not introspect or own the name', async (t) => {
  // The bus this file runs on includes the policy: dbus-daemon would not have started on a bad one.
  await startEngine(t, await newNode(t));
  const nobody = 65534;
  t.is((await call('GetStatus', nobody)).type, 'xdssx');
  const denied = /AccessDenied|Access denied/;
  await t.throwsAsync(busCall(bus.address, NAME, OBJECT, 'org.freedesktop.DBus.Introspectable', 'Introspect', { uid: nobody }), { message: denied });
  await t.throwsAsync(
    busCall(bus.address, 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'RequestName', { uid: nobody, args: ['su', NAME, '4'] }),
    { message: denied },
  );
});
