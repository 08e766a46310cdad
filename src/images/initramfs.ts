import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../toolkit/command-error.js';
import type { CpioEntry } from './cpio.js';

/** What goes into the labos initramfs; every path here is on the build host. */
export interface InitramfsInputs {
  /** The static busybox binary from the busybox-static .deb. */
  busybox: string;
  /** lib/modules/<version> of the unpacked kernel. */
  modulesDir: string;
  /** Module files relative to `modulesDir`, in load order. */
  modules: string[];
  /** The agent, installed as /init. */
  init: Buffer;
  /** The udhcpc event script, installed as /etc/metal-lab/udhcpc.sh. */
  udhcpcScript: Buffer;
  /** The disk installer the agent runs when asked to, installed as /etc/metal-lab/install.sh. */
  installScript: Buffer;
}

/** Every directory that must exist before `p` can be unpacked, parents first. */
function parents(p: string): string[] {
  const out: string[] = [];
  for (let d = path.posix.dirname(p); d !== '.'; d = path.posix.dirname(d)) out.unshift(d);
  return out;
}

/**
 * The file list of the image. Applet symlinks come from the busybox binary itself
 * (`--list-full`), so the image has exactly the commands that busybox build provides.
 * /dev/console exists up front because the kernel opens it for /init's stdio before
 * the agent can mount devtmpfs.
 */
export async function initramfsEntries(inp: InitramfsInputs): Promise<CpioEntry[]> {
  const applets = (await runCommand([inp.busybox, '--list-full'])).stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && l !== 'bin/busybox');

  const leaves: CpioEntry[] = [
    { type: 'file', path: 'init', data: inp.init, mode: 0o755 },
    { type: 'file', path: 'bin/busybox', data: await readFile(inp.busybox), mode: 0o755 },
    ...applets.map((a): CpioEntry => ({ type: 'symlink', path: a, target: '/bin/busybox' })),
    { type: 'char', path: 'dev/console', major: 5, minor: 1 },
    { type: 'file', path: 'etc/metal-lab/udhcpc.sh', data: inp.udhcpcScript, mode: 0o755 },
    { type: 'file', path: 'etc/metal-lab/install.sh', data: inp.installScript, mode: 0o755 },
    { type: 'file', path: 'etc/metal-lab/modules', data: Buffer.from(inp.modules.map((m) => `${m}\n`).join('')) },
  ];
  for (const m of inp.modules) {
    if (!m.endsWith('.ko')) throw new Error(`${m}: compressed kernel modules are not supported by the labos builder`);
    leaves.push({ type: 'file', path: `lib/modules/${m}`, data: await readFile(path.join(inp.modulesDir, m)) });
  }

  const dirs = new Set<string>(['proc', 'sys', 'run', 'root', 'tmp']);
  for (const leaf of leaves) for (const d of parents(leaf.path)) dirs.add(d);
  const dirEntries = [...dirs]
    .sort()
    .map((d): CpioEntry => ({ type: 'dir', path: d, mode: d === 'tmp' ? 0o1777 : 0o755 }));
  // Code-point order, not locale order, so the archive bytes never depend on the host's locale.
  return [...dirEntries, ...leaves.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))];
}
