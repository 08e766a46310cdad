import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { HostError } from '../errors.js';
import { hostLayout } from '../ground/host-layout.js';
import { runCommand } from '../toolkit/command-error.js';
import { runLogged } from '../toolkit/logged-command.js';
import { ROOT_LABEL } from '../ground/node-image.js';
import { cacheEntry, cachedBuild, readRecord, type BuildContext, type BuildReporting } from '../toolkit/cached-build.js';
import { DEBIAN_SUITE as SUITE, hostAptSites, type AptSite } from './apt.js';

/** Bump when the builder changes what it puts into the image, so old cache entries stop matching. */
const BUILDER_VERSION = 2;

/**
 * Installed on top of debootstrap's minbase. dracut + dracut-network + ignition make the
 * first-boot initramfs; systemd-resolved gives networkd's DNS to the node; extlinux and
 * syslinux-common (mbr.bin) are the BIOS boot loader the installer writes. policycoreutils
 * brings setfiles, which Debian's Ignition runs after writing files (built with relabeling on).
 */
export const DISK_PACKAGES = [
  'systemd', 'systemd-sysv', 'systemd-resolved', 'udev', 'openssh-server',
  'etcd-server', 'etcd-client', 'curl', 'iproute2', 'ca-certificates',
  'linux-image-cloud-amd64', 'dracut', 'dracut-network', 'ignition', 'kmod', 'e2fsprogs',
  'extlinux', 'syslinux-common', 'policycoreutils',
  // Kubernetes nodes: the CRI runtime, CNI plugins, what the kubelet and its checkpoint unit run.
  'containerd', 'runc', 'containernetworking-plugins', 'iptables', 'conntrack', 'jq', 'sudo', 'socat',
  // The update engine (rootfs/usr/lib/labos/update-engine): a system bus for Flatcar's update
  // agent, Python with D-Bus and a GLib main loop, grub-editenv for the boot selection, openssl
  // for the release signature.
  'dbus', 'python3-dbus', 'python3-gi', 'grub-common', 'openssl',
] as const;

export interface DiskImage {
  /** Raw ext4 filesystem (sparse) labelled `root`: dd it onto a partition, or boot it as a whole disk. */
  rootfs: string;
  kernel: string;
  /** dracut initramfs with Ignition's module and systemd-networkd. */
  initrd: string;
  key: string;
  built: boolean;
  kernelVersion: string;
  sizes: DiskSizes;
  /** `name=version` of every package in the image, as dpkg-query lists them. */
  packages: string[];
}

export interface DiskSizes {
  /** The ext4 image's apparent size and the bytes it occupies on the host. */
  rootfs: number;
  rootfsAllocated: number;
  /** Bytes of files in the root tree. */
  tree: number;
  kernel: number;
  initrd: number;
}

interface Manifest {
  key: string;
  kernelVersion: string;
  packages: string[];
  sizes: DiskSizes;
  buildSeconds: number;
}

const FILES = { rootfs: 'root.ext4', kernel: 'vmlinuz', initrd: 'initrd.img', manifest: 'manifest.json' };

/** The build script and the config tree sit beside this module in src/ (tsc does not copy them). */
function assetDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const beside = path.join(here, 'labos-disk');
  return existsSync(path.join(beside, 'build.sh')) ? beside : path.resolve(here, '../../src/images/labos-disk');
}

/**
 * What apt would install into an empty system: debootstrap minbase (Priority: required + apt)
 * plus DISK_PACKAGES, resolved from the host's package lists against an empty dpkg status.
 * Nothing is downloaded; the exact versions make the cache key.
 */
async function resolvePackages(): Promise<string[]> {
  const fix = 'run `apt-get update` as root (or `./metal-lab setup`), then retry';
  const r = await runCommand(
    ['apt-get', '-s', '-o', 'Dir::State::status=/dev/null', 'install', '--no-install-recommends', '?priority(required)', 'apt', ...DISK_PACKAGES],
    { env: { LC_ALL: 'C' }, what: "apt cannot resolve the disk image's packages", fix },
  );
  const pkgs = [...r.stdout.matchAll(/^Inst (\S+) \((\S+)/gm)].map((m) => `${m[1]}=${m[2]}`);
  if (pkgs.length === 0) throw new HostError("apt cannot resolve the disk image's packages: it would install none", fix);
  return pkgs.sort();
}

/** What in assetDir() goes into the image (its README does not). */
const IMAGE_INPUTS = ['build.sh', 'rootfs'];

/** Every file of `names` under `dir` as `relative-path sha256`, so any edit to them changes the key. */
async function treeDigest(dir: string, names: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const name of names) {
    const full = path.join(dir, name);
    if ((await stat(full)).isFile()) files.push(full);
    else {
      const entries = await readdir(full, { recursive: true, withFileTypes: true });
      files.push(...entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)));
    }
  }
  const lines = await Promise.all(
    files.map(async (f) => `${path.relative(dir, f)} ${createHash('sha256').update(await readFile(f)).digest('hex')}`),
  );
  return lines.sort();
}

interface Inputs {
  sites: AptSite[];
  packages: string[];
  /** What the cache key is made of. */
  cacheInputs: unknown;
}

async function resolveInputs(): Promise<Inputs> {
  const [sites, packages, assets] = await Promise.all([hostAptSites(), resolvePackages(), treeDigest(assetDir(), IMAGE_INPUTS)]);
  if (!sites.some((s) => s.suite === SUITE)) {
    throw new HostError(`the host's apt has no ${SUITE} main amd64 source for debootstrap`, 'run metal-lab on Debian 12 with its default apt sources');
  }
  return { sites, packages, cacheInputs: { builder: BUILDER_VERSION, sites, packages, assets } };
}

const imageRoot = (cacheDir: string | undefined) => path.join(cacheDir ?? hostLayout().cacheRoot, 'labos-disk');

const readManifest = (dir: string) => readRecord<Manifest>(path.join(dir, FILES.manifest));

async function requireBuildHost(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new HostError('building the labos disk image needs root (debootstrap, chroot, mount namespaces)', 'run the build as root');
  }
  for (const tool of ['debootstrap', 'mkfs.ext4', 'unshare']) {
    const r = await runCommand(['sh', '-c', `command -v ${tool}`], { allowExit: 'any' });
    if (r.exitCode !== 0) throw new HostError(`${tool} is not installed`, 'run `./metal-lab setup` as root (it installs debootstrap and e2fsprogs)');
  }
}

/** Runs build.sh, forwarding its `stage:` lines as progress and keeping the whole log in the build's log file. */
async function runBuildScript(root: string, inp: Inputs, work: string, ctx: BuildContext): Promise<string> {
  const assets = assetDir();
  const kverFile = path.join(work, 'kernel-version');
  const mirror = inp.sites.find((s) => s.suite === SUITE)?.site ?? '';
  await runLogged(['bash', path.join(assets, 'build.sh'), root], {
    logFile: ctx.logFile,
    what: 'building the labos disk image',
    onLine: (line) => (line.startsWith('stage: ') ? ctx.progress(line.slice('stage: '.length)) : ctx.note(line)),
    env: {
      LC_ALL: 'C',
      LABOS_MIRROR: mirror,
      LABOS_SOURCES: inp.sites.map((s) => `deb ${s.site} ${s.suite} main`).join('\n'),
      LABOS_PACKAGES: DISK_PACKAGES.join(' '),
      LABOS_FILES: path.join(assets, 'rootfs'),
      LABOS_KVER_OUT: kverFile,
    },
  });
  return (await readFile(kverFile, 'utf8')).trim();
}

async function du(dir: string): Promise<number> {
  const r = await runCommand(['du', '-sx', '--block-size=1', dir]);
  return Number(r.stdout.split(/\s/)[0]);
}

/** The root tree as an ext4 image, made without mounting: room for the tree plus a third. */
async function makeExt4(root: string, file: string, tree: number): Promise<void> {
  const mib = Math.ceil((tree * 4) / 3 / 2 ** 20) + 256;
  await runCommand(['mkfs.ext4', '-q', '-F', '-L', ROOT_LABEL, '-d', root, file, `${mib}M`]);
}

async function assemble(inp: Inputs, out: string, ctx: BuildContext): Promise<void> {
  const started = performance.now();
  const work = path.join(out, 'work');
  const root = path.join(work, 'root');
  await mkdir(root, { recursive: true });
  try {
    const kver = await runBuildScript(root, inp, work, ctx);
    const listed = await runCommand(['dpkg-query', `--admindir=${root}/var/lib/dpkg`, '-W', '-f', '${Package}=${Version}\\n']);
    const packages = listed.stdout.trim().split('\n').sort();

    await copyFile(path.join(root, 'boot', `vmlinuz-${kver}`), path.join(out, FILES.kernel));
    await copyFile(path.join(root, 'boot', `initrd.img-${kver}`), path.join(out, FILES.initrd));
    const tree = await du(root);
    ctx.progress(`writing ext4 image labelled ${ROOT_LABEL} (${mb(tree)} of files)`);
    await makeExt4(root, path.join(out, FILES.rootfs), tree);

    const rootfs = await stat(path.join(out, FILES.rootfs));
    const manifest: Manifest = {
      key: ctx.key,
      kernelVersion: kver,
      packages,
      sizes: {
        rootfs: rootfs.size,
        rootfsAllocated: rootfs.blocks * 512,
        tree,
        kernel: (await stat(path.join(out, FILES.kernel))).size,
        initrd: (await stat(path.join(out, FILES.initrd))).size,
      },
      buildSeconds: Math.round((performance.now() - started) / 1000),
    };
    await writeFile(path.join(out, FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  } finally {
    // The chroot's mounts lived in build.sh's private namespace, so this only removes files.
    await rm(work, { recursive: true, force: true });
  }
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function describe(dir: string, m: Manifest, built: boolean): DiskImage {
  return {
    rootfs: path.join(dir, FILES.rootfs),
    kernel: path.join(dir, FILES.kernel),
    initrd: path.join(dir, FILES.initrd),
    key: m.key,
    built,
    kernelVersion: m.kernelVersion,
    sizes: m.sizes,
    packages: m.packages,
  };
}

export function describeSizes(s: DiskSizes): string {
  return `rootfs ${mb(s.rootfsAllocated)} on disk (${mb(s.tree)} of files, ${mb(s.rootfs)} filesystem), kernel ${mb(s.kernel)}, initrd ${mb(s.initrd)}`;
}

/**
 * The labos installed image: a Debian bookworm minbase with systemd, sshd and etcd as an ext4
 * image, plus its kernel and a dracut initramfs in which Debian's Ignition applies the node's
 * config on first boot. Cached under `<cacheDir>/labos-disk/<key>/`, keyed by the exact package
 * versions apt resolves, the build script and config tree, and BUILDER_VERSION: with the same
 * inputs a second call builds nothing. Building needs root, debootstrap and the Debian archive.
 */
export async function buildDiskImage({ cacheDir, ...reporting }: { cacheDir?: string } & BuildReporting = {}): Promise<DiskImage> {
  reporting.onProgress?.('resolving package versions with apt');
  const inputs = await resolveInputs();
  const r = await cachedBuild({
    ...reporting,
    what: 'the labos disk image',
    root: imageRoot(cacheDir),
    inputs: inputs.cacheInputs,
    read: readManifest,
    preflight: requireBuildHost,
    build: (out, ctx) => assemble(inputs, out, ctx),
    summary: (m) => describeSizes(m.sizes),
  });
  return describe(r.dir, r.value, r.built);
}

/** Whether the image for the current package versions is already built (for `doctor`). */
export async function diskImageCached(cacheDir?: string): Promise<{ cached: boolean; dir: string }> {
  const { dir } = cacheEntry(imageRoot(cacheDir), (await resolveInputs()).cacheInputs);
  return { cached: (await readManifest(dir)) !== undefined, dir };
}
