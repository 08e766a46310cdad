import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { execa } from 'execa';
import { waitFor } from '../../../src/toolkit/wait-for.js';
import { packageFile, program } from '../../support/needs.js';
import { busCall, type Body } from '../../support/private-bus.js';
import { spawnTied, stopProcess } from '../../support/child-processes.js';
import { tempDir } from '../../support/temp-dir.js';

/**
 * A labos node as the update engine sees it, in a temp dir: its config, os-release, kernel
 * command line, slot "devices" (plain files), grubenv and marker; and the real engine from the
 * image's tree run against them, through the environment overrides its settings module reads.
 */

const ROOTFS = fileURLToPath(new URL('../../../src/images/labos-disk/rootfs/', import.meta.url));
export const ENGINE_DIR = path.join(ROOTFS, 'usr/lib/labos/update-engine');
export const POLICY = path.join(ROOTFS, 'usr/share/dbus-1/system.d/com.coreos.update1.conf');

export const UPDATE_ENGINE_NEEDS = [
  program('dbus-daemon', 'dbus'),
  program('busctl', 'systemd'),
  packageFile('/usr/lib/python3/dist-packages/dbus/service.py', 'python3-dbus'),
  packageFile('/usr/lib/python3/dist-packages/gi/__init__.py', 'python3-gi'),
  program('grub-editenv', 'grub-common'),
  program('openssl', 'openssl'),
  program('debugfs', 'e2fsprogs'),
  program('mkfs.ext4', 'e2fsprogs'),
];

export const NAME = 'com.coreos.update1';
export const OBJECT = '/com/coreos/update1';
export const MANAGER = 'com.coreos.update1.Manager';

export const OLD_A = Buffer.from('slot A: labos 1.0.0, booted\n');
export const OLD_B = Buffer.from('slot B: never written\n');
/** The slots' MBR partition UUIDs, as the installer records them in grubenv. */
export const PARTUUID = { A: '5a1b0c2d-01', B: '5a1b0c2d-02' };
/** Booted from A, which is confirmed; B was never installed. */
export const GOOD_A = { ORDER: 'A B', A_OK: '1', A_TRY: '0', B_OK: '0', B_TRY: '0', A_PARTUUID: PARTUUID.A, B_PARTUUID: PARTUUID.B };

export interface Node {
  env: Record<string, string>;
  slotA: string;
  slotB: string;
  grubenv: string;
  /** /boot/labos: each slot's kernel and initramfs. */
  bootDir: string;
  marker: string;
}

export interface NodeOptions {
  busAddress: string;
  server: string;
  releaseKey: string;
  booted?: 'A' | 'B';
  grubenv?: Record<string, string>;
  checkInterval?: number;
  /** /etc/flatcar/update.conf, Flatcar's channel override. */
  group?: string;
}

export async function makeNode(t: ExecutionContext, o: NodeOptions): Promise<Node> {
  const dir = await tempDir(t, 'labos-update-node-');
  const file = async (rel: string, content: string | Buffer) => {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
    return path.join(dir, rel);
  };
  const booted = o.booted ?? 'A';
  const node: Node = {
    env: {},
    slotA: await file(`dev/disk/by-partuuid/${PARTUUID.A}`, OLD_A),
    slotB: await file(`dev/disk/by-partuuid/${PARTUUID.B}`, OLD_B),
    grubenv: await file('boot/grub/grubenv', ''),
    bootDir: path.join(dir, 'boot/labos'),
    marker: path.join(dir, 'run/update_engine_autoupdate_completed'),
  };
  await mkdir(path.dirname(node.marker));
  await execa('grub-editenv', [node.grubenv, 'create']);
  await execa('grub-editenv', [node.grubenv, 'set', ...Object.entries(o.grubenv ?? GOOD_A).map(([k, v]) => `${k}=${v}`)]);
  node.env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    PYTHONDONTWRITEBYTECODE: '1', // no __pycache__ in src/, which is hashed into the image key
    DBUS_SYSTEM_BUS_ADDRESS: o.busAddress,
    LABOS_UPDATE_CONF: await file('etc/labos/update.conf', `SERVER=${o.server}\nCHECK_INTERVAL=${o.checkInterval ?? 3600}\n`),
    LABOS_RELEASE_KEY: await file('etc/labos/release.pub', o.releaseKey),
    // The image's own channel file and os-release.
    LABOS_GROUP_CONF: await file('usr/share/flatcar/update.conf', await readFile(path.join(ROOTFS, 'usr/share/flatcar/update.conf'))),
    LABOS_GROUP_CONF_OVERRIDE: path.join(dir, 'etc/flatcar/update.conf'),
    LABOS_OS_RELEASE: path.join(dir, 'etc/os-release'),
    LABOS_CMDLINE: await file('proc/cmdline', `BOOT_IMAGE=/boot/labos/${booted}/vmlinuz root=LABEL=root mount.usr=PARTUUID=${PARTUUID[booted]} labos.slot=${booted} console=ttyS0\n`),
    LABOS_SLOT_DEVICES: path.dirname(node.slotA),
    LABOS_GRUBENV: node.grubenv,
    LABOS_BOOT_DIR: node.bootDir,
    LABOS_UPDATE_MARKER: node.marker,
  };
  // The image's os-release, as build.sh fills it in for the base release.
  await file('etc/os-release', (await readFile(path.join(ROOTFS, 'usr/lib/os-release'), 'utf8')).replaceAll('@VERSION@', '1.0.0'));
  if (o.group) await file('etc/flatcar/update.conf', `GROUP=${o.group}\n`);
  return node;
}

export async function grubenv(node: Node): Promise<Record<string, string>> {
  const r = await execa('grub-editenv', [node.grubenv, 'list']);
  return Object.fromEntries(r.stdout.split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
}

/** Slot files and grubenv, byte for byte. */
/** Slot files, grubenv and the slots' boot files (absent ones as null), byte for byte. */
export const snapshot = async (node: Node) =>
  Promise.all(
    [node.slotA, node.slotB, node.grubenv, ...['A', 'B'].flatMap((slot) => ['vmlinuz', 'initrd.img'].map((f) => path.join(node.bootDir, slot, f)))].map((f) =>
      readFile(f).catch(() => null),
    ),
  );

export interface Engine {
  log(): string;
  stop(): Promise<void>;
}

/** The engine as its unit runs it; ready once it answers GetStatus. The test's teardown stops it. */
export async function startEngine(t: ExecutionContext, node: Node): Promise<Engine> {
  const child = spawnTied(path.join(ENGINE_DIR, 'update-engine'), [], { env: node.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const engine: Engine = {
    log: () => log,
    stop: () => stopProcess(child),
  };
  t.teardown(() => engine.stop());
  await waitFor(
    `the update engine to own ${NAME}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`the update engine exited ${child.exitCode}: ${log}`);
      return busCall(node.env.DBUS_SYSTEM_BUS_ADDRESS!, NAME, OBJECT, MANAGER, 'GetStatus');
    },
    { deadline: Date.now() + 15_000, intervalMs: 100, fatal: () => child.exitCode !== null, evidence: () => [log] },
  );
  return engine;
}

export interface Status {
  lastChecked: number;
  progress: number;
  operation: string;
  newVersion: string;
  newSize: number;
}

export function status(t: ExecutionContext, body: Body): Status {
  t.is(body.type, 'xdssx', 'GetStatus and StatusUpdate carry (x last_checked_time, d progress, s current_operation, s new_version, x new_size)');
  const [lastChecked, progress, operation, newVersion, newSize] = body.data as [number, number, string, string, number];
  return { lastChecked, progress, operation, newVersion, newSize };
}
