import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { HostError } from '../errors.js';
import { checkVersion } from '../ground/release-names.js';
import { hostLayout } from '../ground/host-layout.js';
import { runCommand } from '../toolkit/command-error.js';
import { runLogged } from '../toolkit/logged-command.js';
import { ROOT_LABEL, USR_LABEL } from '../ground/node-image.js';
import { cacheEntry, cachedBuild, readRecord, type BuildContext, type BuildReporting } from '../toolkit/cached-build.js';
import { aptAnswer } from './apt-answers.js';
import { DEBIAN_SUITE as SUITE, hostAptSites, type AptSite } from './apt.js';

/** Bump when the builder changes what it puts into the image, so old cache entries stop matching. */
const BUILDER_VERSION = 4;

/**
 * Installed on top of debootstrap's minbase, with the release's kernel package. dracut +
 * dracut-network + ignition make the first-boot initramfs; systemd-resolved gives networkd's DNS
 * to the node; grub-pc-bin + grub2-common are the BIOS boot loader the installer puts on the disk
 * (with the slot selection in rootfs/usr/lib/labos/grub.cfg). policycoreutils brings setfiles,
 * which Debian's Ignition runs after writing files (built with relabeling on).
 */
export const DISK_PACKAGES = [
  'systemd', 'systemd-sysv', 'systemd-resolved', 'udev', 'openssh-server',
  'etcd-server', 'etcd-client', 'curl', 'iproute2', 'ca-certificates',
  'dracut', 'dracut-network', 'ignition', 'kmod', 'e2fsprogs',
  'grub-pc-bin', 'grub2-common', 'policycoreutils',
  // Kubernetes nodes: the CRI runtime, CNI plugins, what the kubelet and its checkpoint unit run.
  'containerd', 'runc', 'containernetworking-plugins', 'iptables', 'conntrack', 'jq', 'sudo', 'socat',
  // The update engine (rootfs/usr/lib/labos/update-engine): a system bus for Flatcar's update
  // agent, Python with D-Bus and a GLib main loop, grub-editenv for the boot selection, openssl
  // for the release signature.
  'dbus', 'python3-dbus', 'python3-gi', 'grub-common', 'openssl',
] as const;

/** What makes one labos release differ from another: os-release's VERSION and its kernel. */
export interface LabosRelease {
  version: string;
  /** The Debian kernel package, such as linux-image-cloud-amd64 or linux-image-amd64. */
  kernel: string;
}

/** The release every lab installs. An update scenario builds another and publishes it. */
export const BASE_RELEASE: LabosRelease = { version: '1.0.0', kernel: 'linux-image-cloud-amd64' };


export interface DiskImage {
  release: LabosRelease;
  /** Raw ext4 filesystem (sparse) labelled `root`: /etc, /var and an empty /usr to mount a slot on. */
  rootfs: string;
  /** Raw ext4 filesystem labelled `usr`: the read-only /usr of a slot, and a release's payload. */
  usr: string;
  /** The kernel and initramfs also inside `usr`, at lib/labos/boot/. */
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
  /** The ext4 images' apparent sizes and the bytes they occupy on the host. */
  rootfs: number;
  rootfsAllocated: number;
  usr: number;
  usrAllocated: number;
  /** Bytes of files in the root tree. */
  tree: number;
  kernel: number;
  initrd: number;
}

interface Manifest {
  key: string;
  release: LabosRelease;
  kernelVersion: string;
  packages: string[];
  sizes: DiskSizes;
  buildSeconds: number;
}

const FILES = { rootfs: 'root.ext4', usr: 'usr.ext4', kernel: 'vmlinuz', initrd: 'initrd.img', manifest: 'manifest.json' };

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
function resolvePackages(release: LabosRelease): Promise<string[]> {
  const argv = ['apt-get', '-s', '-o', 'Dir::State::status=/dev/null', 'install', '--no-install-recommends', '?priority(required)', 'apt', release.kernel, ...DISK_PACKAGES];
  return aptAnswer(argv.join(' '), async () => {
    const fix = 'run `apt-get update` as root (or `./metal-lab setup`), then retry';
    const r = await runCommand(argv, { env: { LC_ALL: 'C' }, what: `apt cannot resolve the disk image's packages (kernel ${release.kernel})`, fix });
    const pkgs = [...r.stdout.matchAll(/^Inst (\S+) \((\S+)/gm)].map((m) => `${m[1]}=${m[2]}`);
    if (pkgs.length === 0) throw new HostError("apt cannot resolve the disk image's packages: it would install none", fix);
    return pkgs.sort();
  });
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
  release: LabosRelease;
  sites: AptSite[];
  packages: string[];
  /** What the cache key is made of. */
  cacheInputs: unknown;
}

async function resolveInputs(release: LabosRelease): Promise<Inputs> {
  checkVersion(release.version);
  const [sites, packages, assets] = await Promise.all([hostAptSites(), resolvePackages(release), treeDigest(assetDir(), IMAGE_INPUTS)]);
  if (!sites.some((s) => s.suite === SUITE)) {
    throw new HostError(`the host's apt has no ${SUITE} main amd64 source for debootstrap`, 'run metal-lab on Debian 12 with its default apt sources');
  }
  return { release, sites, packages, cacheInputs: { builder: BUILDER_VERSION, release, sites, packages, assets } };
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
      LABOS_PACKAGES: [inp.release.kernel, ...DISK_PACKAGES].join(' '),
      LABOS_VERSION: inp.release.version,
      LABOS_FILES: path.join(assets, 'rootfs'),
      LABOS_KVER_OUT: kverFile,
    },
  });
  return (await readFile(kverFile, 'utf8')).trim();
}

/** A tree's bytes on disk, or how many files, directories and links it holds. */
async function du(dir: string, count: 'bytes' | 'inodes' = 'bytes'): Promise<number> {
  const r = await runCommand(['du', '-sx', count === 'bytes' ? '--block-size=1' : '--inodes', dir]);
  return Number(r.stdout.split(/\s/)[0]);
}

/**
 * What each image is made with beyond its files. /usr is read-only, as Flatcar's: no journal,
 * no blocks kept for root, and inodes for its files only. The root filesystem is grown to its
 * partition by the installer: 4 KiB blocks and the usual inode density, which a small image
 * would otherwise not get (mke2fs makes one under 512 MiB with 1 KiB blocks).
 */
const EXT4_OPTIONS = {
  usr: (files: number) => ['-O', '^has_journal', '-m', '0', '-N', String(Math.ceil(files * 1.1) + 1024)],
  root: () => ['-T', 'default'],
};

/**
 * A tree as an ext4 image, made without mounting, then shrunk to what it holds: every byte of
 * the image crosses the lab network and a TCG guest's disk at each install, a free block as
 * dearly as a full one. /usr stays as built; the installer grows the root filesystem.
 */
async function makeExt4(tree: string, file: string, label: string, kind: keyof typeof EXT4_OPTIONS, bytes: number): Promise<void> {
  // Room enough for mkfs to lay the tree out; resize2fs -M gives back what is left over.
  const mib = Math.ceil((bytes * 1.1) / 2 ** 20) + 64;
  await runCommand(['mkfs.ext4', '-q', '-F', '-L', label, ...EXT4_OPTIONS[kind](await du(tree, 'inodes')), '-d', tree, file, `${mib}M`]);
  await runCommand(['resize2fs', '-M', file]);
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

    await copyFile(path.join(root, 'usr/lib/labos/boot/vmlinuz'), path.join(out, FILES.kernel));
    await copyFile(path.join(root, 'usr/lib/labos/boot/initrd.img'), path.join(out, FILES.initrd));
    const tree = await du(root);
    // /usr becomes its own filesystem; the root keeps an empty /usr for the initramfs to mount it on.
    const usrTree = path.join(work, 'usr');
    await rename(path.join(root, 'usr'), usrTree);
    await mkdir(path.join(root, 'usr'), { mode: 0o755 });
    const usrBytes = await du(usrTree);
    ctx.progress(`writing ext4 images: ${USR_LABEL} (${mb(usrBytes)} of files) and ${ROOT_LABEL} (${mb(tree - usrBytes)})`);
    await makeExt4(usrTree, path.join(out, FILES.usr), USR_LABEL, 'usr', usrBytes);
    await makeExt4(root, path.join(out, FILES.rootfs), ROOT_LABEL, 'root', tree - usrBytes);

    const [rootfs, usr] = await Promise.all([stat(path.join(out, FILES.rootfs)), stat(path.join(out, FILES.usr))]);
    const manifest: Manifest = {
      key: ctx.key,
      release: inp.release,
      kernelVersion: kver,
      packages,
      sizes: {
        rootfs: rootfs.size,
        rootfsAllocated: rootfs.blocks * 512,
        usr: usr.size,
        usrAllocated: usr.blocks * 512,
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
    release: m.release,
    rootfs: path.join(dir, FILES.rootfs),
    usr: path.join(dir, FILES.usr),
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
  return `/usr ${mb(s.usr)} filesystem, root ${mb(s.rootfs)} filesystem (${mb(s.usrAllocated + s.rootfsAllocated)} on disk, ${mb(s.tree)} of files), kernel ${mb(s.kernel)}, initrd ${mb(s.initrd)}`;
}

/**
 * A labos release: a Debian bookworm minbase with systemd, sshd and etcd as two ext4 images,
 * a read-only /usr (the release, with its kernel and a dracut initramfs in which Debian's
 * Ignition applies the node's config on first boot) and a stateful root. Cached under
 * `<cacheDir>/labos-disk/<key>/`, keyed by the release, the exact package versions apt
 * resolves, the build script and config tree, and BUILDER_VERSION: with the same inputs a
 * second call builds nothing. Building needs root, debootstrap and the Debian archive.
 */
export async function buildDiskImage({ cacheDir, release = BASE_RELEASE, ...reporting }: { cacheDir?: string; release?: LabosRelease } & BuildReporting = {}): Promise<DiskImage> {
  reporting.onProgress?.('resolving package versions with apt');
  const inputs = await resolveInputs(release);
  const r = await cachedBuild({
    ...reporting,
    what: `labos ${release.version} (${release.kernel})`,
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
  const { dir } = cacheEntry(imageRoot(cacheDir), (await resolveInputs(BASE_RELEASE)).cacheInputs);
  return { cached: (await readManifest(dir)) !== undefined, dir };
}
