import fs from 'node:fs/promises';
import path from 'node:path';
import type { ExecutionContext } from 'ava';
import { hostLayout } from '../../src/ground/host-layout.js';
import { BASE_RELEASE, buildDiskImage, type LabosRelease } from '../../src/images/labos-disk.js';
import { deriveBrokenRelease } from '../../src/scenario/publish-broken.js';
import { pending, waitFor } from '../../src/toolkit/wait-for.js';
import { assertNothingLeft, cli, ownLab } from '../e2e/helpers.js';
import { libvirtd, needs, program, root, virsh } from '../support/needs.js';
import { takingTurns } from '../support/taking-turns.js';

// labos's A/B update on a real VM under TCG, with nobody to reboot the node but this test (the
// lab has no Kubernetes, so no update operator): installed from PXE onto slot A, the node's
// update engine refuses a truncated download, installs release 2.0.0 (Debian's generic kernel
// instead of the cloud one) into slot B and boots it, then installs a 3.0.0 whose /usr cannot
// start (its init exits at once) into slot A, boots it, panics, and comes back on 2.0.0 by itself.

const test = needs(root, virsh, libvirtd, program('debugfs', 'e2fsprogs'));

const LAB = 'test/e2e/labs/ab.yaml';
const ID = 'ab';
const V2: LabosRelease = { version: '2.0.0', kernel: 'linux-image-amd64' };
const ENGINE = 'com.coreos.update1 /com/coreos/update1 com.coreos.update1.Manager';
const layout = hostLayout().lab(ID);

/** What the node says about itself: which slot it booted, its release, kernel, /usr and boot selection. */
interface Facts {
  bootId: string;
  slot: string;
  version: string;
  kernel: string;
  usr: string;
  grubenv: Record<string, string>;
  status: string;
}

const FACTS = [
  'cat /proc/sys/kernel/random/boot_id',
  "tr ' ' '\\n' </proc/cmdline | sed -n 's/^labos.slot=//p'",
  '. /etc/os-release && echo "$VERSION"',
  'uname -r',
  'findmnt -no SOURCE,OPTIONS /usr',
  // One line, its entries split by ';': a value may hold spaces (ORDER=A B).
  'sudo grub-editenv /boot/grub/grubenv list | tr "\\n" ";"; echo',
  `busctl call ${ENGINE} GetStatus`,
].join('; ');

async function ssh(command: string) {
  return cli(['ssh', 'node1', '--lab', ID, '--', command]);
}

async function facts(): Promise<Facts | Pending> {
  const r = await ssh(FACTS);
  if (r.exitCode !== 0) return pending(`ssh: ${String(r.all).trim().split('\n').at(-1)}`);
  const [bootId, slot, version, kernel, usr, env, status] = String(r.stdout).trim().split('\n');
  const grubenv = Object.fromEntries((env ?? '').split(';').filter(Boolean).map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
  return { bootId: bootId!, slot: slot!, version: version!, kernel: kernel!, usr: usr!, grubenv, status: status ?? '' };
}
type Pending = ReturnType<typeof pending>;

const minutes = (n: number) => Date.now() + n * 60_000;
const consoleLog = () => fs.readFile(layout.console('node1'), 'utf8').catch(() => '');
const tail = async () => [(await consoleLog()).split('\n').slice(-40).join('\n')];

/** The node's facts once `until` holds for them; the console's last lines if it never does. */
async function waitForNode(what: string, until: (f: Facts) => boolean, limitMinutes: number): Promise<Facts> {
  return waitFor(
    what,
    async () => {
      const f = await facts();
      if (!('bootId' in f)) return f;
      return until(f) ? f : pending(`slot ${f.slot}, ${f.version}, ${Object.entries(f.grubenv).map(([k, v]) => `${k}=${v}`).join(' ')}; ${f.status}`);
    },
    { deadline: minutes(limitMinutes), intervalMs: 5_000, evidence: tail },
  );
}

/** Asks the engine to check now, as `update_engine_client -check_for_update` does. */
async function attemptUpdate(t: ExecutionContext): Promise<void> {
  const r = await ssh(`sudo busctl call ${ENGINE} AttemptUpdate`);
  t.is(r.exitCode, 0, String(r.all));
}

async function engineLog(since: string): Promise<string> {
  return String((await ssh(`sudo journalctl -u labos-update-engine -o cat --since '${since}'`)).stdout);
}

async function publish(t: ExecutionContext, version: string, image: string): Promise<void> {
  const r = await cli(['release', 'publish', '--lab', ID, '--version', version, image]);
  t.is(r.exitCode, 0, String(r.all));
}

/** Reboots the node as the update agent would have it (through logind) and waits for the next boot to confirm itself. */
async function reboot(t: ExecutionContext, before: Facts, limitMinutes: number): Promise<Facts> {
  await ssh('sudo systemctl reboot');
  const started = Date.now();
  const after = await waitForNode('the node to come back and mark its slot good', (f) => f.bootId !== before.bootId && f.grubenv[`${f.slot}_TRY`] === '0', limitMinutes);
  t.log(`reboot to a confirmed slot ${after.slot} (${after.version}): ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return after;
}

test('A/B on a VM: a truncated download is refused, 2.0.0 boots from slot B, a 3.0.0 that cannot boot falls back to 2.0.0 by itself', async (t) => {
  t.timeout(90 * 60_000);
  // On disk, not in /tmp: the broken release is a copy of a /usr image of about a gigabyte.
  const work = await fs.mkdtemp('/var/tmp/metal-lab-ab-test-');
  t.teardown(() => fs.rm(work, { recursive: true, force: true }));
  const [v1, v2] = [await buildDiskImage({ release: BASE_RELEASE }), await buildDiskImage({ release: V2 })];
  t.log(`releases: ${v1.release.version} (${v1.kernelVersion}), ${v2.release.version} (${v2.kernelVersion}, /usr ${(v2.sizes.usr / 1e6).toFixed(0)} MB)`);
  const broken = await deriveBrokenRelease(v2.usr, '3.0.0', work);

  await ownLab(t, ID);
  // Teardowns run last first: the console is read before the lab goes.
  t.teardown(async () => {
    if (!t.passed) console.error(`${t.title}: console of node1:\n${(await tail())[0]}`);
  });
  await takingTurns(async () => {
    const up = await cli(['up', LAB, '--boot', 'install']);
    t.is(up.exitCode, 0, String(up.all));
    let started = Date.now();
    const installed = await waitForNode('node1 to install labos and confirm slot A', (f) => f.grubenv.A_TRY === '0', 30);
    t.log(`installed and slot A confirmed: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    t.like(installed, { slot: 'A', version: '1.0.0', kernel: v1.kernelVersion });
    t.like(installed.grubenv, { ORDER: 'A B', A_OK: '1', A_TRY: '0', B_OK: '0' });
    t.regex(installed.usr, /^\/dev\/vda1 ro,/, '/usr is slot A, read-only');
    t.is(String((await ssh('test -e /boot/labos/first_boot || echo gone')).stdout).trim(), 'gone', 'later boots skip Ignition');
    const dog = String((await ssh('sudo journalctl -b -o cat | grep -i "hardware watchdog\\|watchdog running"')).stdout);
    t.regex(dog, /Using hardware watchdog 'Software Watchdog'.* device \/dev\/watchdog0/, 'softdog, loaded by the initramfs');
    t.regex(dog, /Watchdog running with a hardware timeout of 2min/, 'systemd feeds it');

    // 1. A truncated download: the signed manifest says one size, the server has half of it.
    await publish(t, '2.0.0', v2.usr);
    const payload = path.join(layout.matchboxAssets, 'releases', 'stable', 'labos-2.0.0.img');
    await fs.truncate(payload, Math.floor(v2.sizes.usr / 2));
    const since = String((await ssh('date "+%F %T"')).stdout).trim();
    await attemptUpdate(t);
    const refused = await waitFor('the engine to refuse the truncated payload', async () => /update refused: size mismatch/.test(await engineLog(since)) || pending('no refusal yet'), {
      deadline: minutes(10),
      intervalMs: 5_000,
      evidence: async () => [await engineLog(since)],
    });
    t.true(refused);
    const stayed = await facts();
    t.like(stayed, { slot: 'A', version: '1.0.0', bootId: installed.bootId });
    t.like((stayed as Facts).grubenv, { ORDER: 'A B', A_OK: '1', B_OK: '0' });
    t.regex((stayed as Facts).status, /UPDATE_STATUS_IDLE/);

    // 2. The good release, published again whole: installed into B, booted, confirmed.
    await publish(t, '2.0.0', v2.usr);
    started = Date.now();
    await attemptUpdate(t);
    const ready = await waitForNode('2.0.0 installed into slot B', (f) => f.status.includes('UPDATE_STATUS_UPDATED_NEED_REBOOT'), 20);
    t.log(`2.0.0 checked, downloaded twice, verified and written: ${((Date.now() - started) / 1000).toFixed(0)} s`);
    t.like(ready.grubenv, { ORDER: 'B A', B_OK: '1', B_TRY: '0', A_OK: '1' });
    const onB = await reboot(t, ready, 20);
    t.like(onB, { slot: 'B', version: '2.0.0', kernel: v2.kernelVersion });
    t.regex(onB.usr, /^\/dev\/vda2 ro,/);
    t.notRegex(onB.kernel, /cloud/, "Debian's generic kernel, not the cloud one");
    t.like(onB.grubenv, { ORDER: 'B A', B_OK: '1', B_TRY: '0', A_OK: '1', A_TRY: '0' });

    // 3. A release that cannot boot: installed into A, tried once, and the node falls back to B.
    await publish(t, '3.0.0', broken);
    await attemptUpdate(t);
    const bad = await waitForNode('3.0.0 installed into slot A', (f) => f.status.includes('UPDATE_STATUS_UPDATED_NEED_REBOOT'), 20);
    t.like(bad.grubenv, { ORDER: 'A B', A_OK: '1', A_TRY: '0' });
    const panicsBefore = (await consoleLog()).match(/Attempted to kill init/g)?.length ?? 0;
    const back = await reboot(t, bad, 25);
    t.like(back, { slot: 'B', version: '2.0.0', kernel: v2.kernelVersion });
    t.like(back.grubenv, { ORDER: 'B A', A_OK: '0', B_OK: '1', B_TRY: '0' }, 'the failed slot is dropped from the selection');
    const log = await consoleLog();
    t.is((log.match(/Attempted to kill init/g)?.length ?? 0) - panicsBefore, 1, 'slot A (3.0.0) was tried once and panicked');
    t.is((await cli(['down', ID])).exitCode, 0);
  });
  await assertNothingLeft(t, ID);
});
