import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test, { type Implementation, type TestFn } from 'ava';
import { VIRTLOGD_SOCKET } from '../../src/preflight/daemons.js';
import { SETUP_PACKAGES } from '../../src/setup/host.js';

/**
 * Something a host test needs from the machine, and how to get it. Host tests declare their
 * tests through needs(...): where something is missing they are skipped, and one printed line
 * says what is missing and how to get it. The only skip mechanism of test/host and test/e2e.
 */
export interface Need {
  /** What the skip line says is missing. */
  what: string;
  /** How to get it. */
  fix: string;
  present(): boolean;
}

/** Debian packages `./metal-lab setup` installs are one command away; others need apt-get. */
function install(pkg: string): string {
  const viaSetup = SETUP_PACKAGES.includes(pkg);
  return `apt-get install ${pkg}${viaSetup ? ', or ./metal-lab setup' : ''}`;
}

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** A program looked up on PATH, from a Debian package. */
export function program(name: string, pkg: string): Need {
  return { what: `${name} (not on PATH)`, fix: install(pkg), present: () => onPath(name) };
}

/** A file a Debian package installs at a fixed path (daemons in /usr/sbin, ROMs, schemas). */
export function packageFile(file: string, pkg: string): Need {
  return { what: file, fix: install(pkg), present: () => existsSync(file) };
}

export const root: Need = {
  what: 'root',
  fix: 'run the tests as root',
  present: () => process.getuid?.() === 0,
};

/** The system libvirtd's socket, which the lab's qemu:///system URI connects to. */
export const libvirtd: Need = {
  what: 'a running libvirtd (/run/libvirt/libvirt-sock)',
  fix: './metal-lab setup (it starts virtlogd and libvirtd)',
  present: () => existsSync('/run/libvirt/libvirt-sock'),
};

export const virtlogd: Need = {
  what: `a running virtlogd (${VIRTLOGD_SOCKET})`,
  fix: libvirtd.fix,
  present: () => existsSync(VIRTLOGD_SOCKET),
};

// Needs that several host test files share.
export const virsh = program('virsh', 'libvirt-clients');
export const ip = program('ip', 'iproute2');
export const qemu = program('qemu-system-x86_64', 'qemu-system-x86');
export const dnsmasq = packageFile('/usr/sbin/dnsmasq', 'dnsmasq-base');
export const ipxeRoms = [
  packageFile('/usr/lib/ipxe/undionly.kpxe', 'ipxe'),
  packageFile('/usr/lib/ipxe/ipxe.efi', 'ipxe'),
  packageFile('/usr/lib/ipxe/qemu/efi-virtio.rom', 'ipxe-qemu'),
];

const printed = new Set<string>();

/**
 * ava's `test` where every need is present; elsewhere a `test` whose tests are skipped and whose
 * hooks never run, after one line naming the file, what is missing and how to get it.
 */
export function needs(...wanted: Need[]): TestFn {
  const missing = wanted.filter((n) => !n.present());
  if (missing.length === 0) return test;
  const file = path.relative(process.cwd(), fileURLToPath(test.meta.file));
  const line = `SKIP ${file}: needs ${missing.map((n) => `${n.what}: ${n.fix}`).join('; ')}`;
  if (!printed.has(line)) console.log(line);
  printed.add(line);
  return skipping;
}

type Impl = Implementation<[]>;

// test.skip and the hooks' .skip: ava lists the skipped tests and runs none of these hooks.
const skipping = Object.assign((title: string, impl: Impl) => test.skip(title, impl), {
  meta: test.meta,
  skip: test.skip,
  serial: test.serial.skip,
  before: test.before.skip,
  beforeEach: test.beforeEach.skip,
  after: Object.assign((impl: Impl) => test.after.skip(impl), { always: test.after.always.skip }),
  afterEach: Object.assign((impl: Impl) => test.afterEach.skip(impl), { always: test.afterEach.always.skip }),
}) as unknown as TestFn;

