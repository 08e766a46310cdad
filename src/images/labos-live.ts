import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostLayout } from '../ground/host-layout.js';
import { type DebPackage, downloadDeb, resolveKernelPackage, showPackage, unpackDeb } from './apt.js';
import { writeCpioGz } from './cpio.js';
import { initramfsEntries } from './initramfs.js';
import { findKernel, modulesFor, type WantedModule } from './kernel-modules.js';
import { cacheEntry, cachedBuild, readRecord, type BuildContext, type BuildReporting } from '../toolkit/cached-build.js';

/** Bump when the builder changes what it puts into the image, so old cache entries stop matching. */
const BUILDER_VERSION = 1;
const KERNEL_METAPACKAGE = 'linux-image-cloud-amd64';
const BUSYBOX_PACKAGE = 'busybox-static';
/**
 * virtio_pci finds the virtio devices on the PCI bus; virtio_net drives the NIC; virtio_blk the
 * disk the installer writes (ext4 is built into the cloud kernel).
 */
const MODULES: WantedModule[] = [
  { module: 'virtio_pci', config: 'CONFIG_VIRTIO_PCI' },
  { module: 'virtio_net', config: 'CONFIG_VIRTIO_NET' },
  { module: 'virtio_blk', config: 'CONFIG_VIRTIO_BLK' },
];

export interface LiveImage {
  kernel: string;
  initrd: string;
  key: string;
  built: boolean;
  sizes: { kernel: number; initrd: number };
  kernelVersion: string;
}

/** What a finished image dir records about itself; written last, so its presence means complete. */
interface Manifest {
  key: string;
  kernelVersion: string;
  packages: DebPackage[];
  modules: string[];
  sizes: { kernel: number; initrd: number };
}

const KERNEL_FILE = 'vmlinuz';
const INITRD_FILE = 'initrd.img';
const MANIFEST_FILE = 'manifest.json';

/**
 * The agent scripts sit beside this module in src/. tsc does not copy them into dist/, so
 * compiled code reads them from the source tree it was built from.
 */
function labosScript(name: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const beside = path.join(here, 'labos', name);
  return existsSync(beside) ? beside : path.resolve(here, '../../src/images/labos', name);
}

interface Inputs {
  kernel: DebPackage;
  busybox: DebPackage;
  init: Buffer;
  udhcpc: Buffer;
  install: Buffer;
  /** What the cache key is made of. */
  cacheInputs: unknown;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Everything the image is made of, resolved from apt's package lists without downloading. */
async function resolveInputs(): Promise<Inputs> {
  const [kernel, busybox, init, udhcpc, install] = await Promise.all([
    resolveKernelPackage(KERNEL_METAPACKAGE),
    showPackage(BUSYBOX_PACKAGE).then((r) => r.pkg),
    readFile(labosScript('init.sh')),
    readFile(labosScript('udhcpc.sh')),
    readFile(labosScript('install.sh')),
  ]);
  const cacheInputs = {
    builder: BUILDER_VERSION,
    kernel,
    busybox,
    modules: MODULES,
    init: sha256(init),
    udhcpc: sha256(udhcpc),
    install: sha256(install),
  };
  return { kernel, busybox, init, udhcpc, install, cacheInputs };
}

const imageRoot = (cacheDir: string | undefined) => path.join(cacheDir ?? hostLayout().cacheRoot, 'labos-live');

const readManifest = (dir: string) => readRecord<Manifest>(path.join(dir, MANIFEST_FILE));

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * Downloads and unpacks the two packages, then writes the image files into `out`. The scratch
 * space lives inside `out` so a killed build leaves nothing outside the cache's build dir.
 */
async function assemble(inp: Inputs, out: string, ctx: BuildContext): Promise<void> {
  const work = path.join(out, 'work');
  try {
    await writeImage(inp, work, out, ctx);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function writeImage(inp: Inputs, work: string, out: string, { key, progress }: BuildContext): Promise<void> {
  for (const pkg of [inp.kernel, inp.busybox]) {
    progress(`downloading ${pkg.name} ${pkg.version} (${mb(pkg.size)})`);
    const deb = await downloadDeb(pkg, path.join(work, 'debs'));
    await unpackDeb(deb, path.join(work, pkg.name));
  }
  const kernel = await findKernel(path.join(work, inp.kernel.name));
  const busybox = path.join(work, inp.busybox.name, 'bin', 'busybox');

  progress(`resolving network and disk modules for kernel ${kernel.version}`);
  const modules = await modulesFor(kernel, MODULES, busybox);

  progress(`writing initramfs (busybox, agent, ${modules.length} modules)`);
  const entries = await initramfsEntries({
    busybox,
    modulesDir: kernel.modulesDir,
    modules,
    init: inp.init,
    udhcpcScript: inp.udhcpc,
    installScript: inp.install,
  });
  await writeCpioGz(entries, path.join(out, INITRD_FILE));
  await copyFile(kernel.vmlinuz, path.join(out, KERNEL_FILE));

  const manifest: Manifest = {
    key,
    kernelVersion: kernel.version,
    packages: [inp.kernel, inp.busybox],
    modules,
    sizes: {
      kernel: (await stat(path.join(out, KERNEL_FILE))).size,
      initrd: (await stat(path.join(out, INITRD_FILE))).size,
    },
  };
  await writeFile(path.join(out, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
}

function describe(dir: string, m: Manifest, built: boolean): LiveImage {
  return {
    kernel: path.join(dir, KERNEL_FILE),
    initrd: path.join(dir, INITRD_FILE),
    key: m.key,
    built,
    sizes: m.sizes,
    kernelVersion: m.kernelVersion,
  };
}

/**
 * The labos live image (kernel + initramfs with busybox and the node agent), built from
 * Debian's linux-image-cloud-amd64 and busybox-static and cached under
 * `<cacheDir>/labos-live/<key>/`. With the same inputs a second call builds nothing.
 */
export async function buildLiveImage({ cacheDir, ...reporting }: { cacheDir?: string } & BuildReporting = {}): Promise<LiveImage> {
  reporting.onProgress?.('resolving package versions with apt-cache');
  const inputs = await resolveInputs();
  const r = await cachedBuild({
    ...reporting,
    what: 'the labos live image',
    root: imageRoot(cacheDir),
    inputs: inputs.cacheInputs,
    read: readManifest,
    build: (out, ctx) => assemble(inputs, out, ctx),
    summary: (m) => `kernel ${m.kernelVersion}, initrd ${mb(m.sizes.initrd)}`,
  });
  return describe(r.dir, r.value, r.built);
}

/** Whether the image for the current package versions is already built (for `doctor`). */
export async function liveImageCached(cacheDir?: string): Promise<{ cached: boolean; dir: string }> {
  const { dir } = cacheEntry(imageRoot(cacheDir), (await resolveInputs()).cacheInputs);
  return { cached: (await readManifest(dir)) !== undefined, dir };
}
