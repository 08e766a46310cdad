import { access, chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { HostError } from '../../errors.js';
import { IMAGE_NAMES, imageRef, type ImageName } from '../../ground/cluster.js';
import { hostLayout } from '../../ground/host-layout.js';
import { type DebPackage, showPackage } from '../apt.js';
import { debClosure, debTree } from './deb-tree.js';
import { cachedBuild, readRecord, type BuildReporting } from '../../toolkit/cached-build.js';
import { runCommand } from '../../toolkit/command-error.js';
import { type LayerSpec, type OciImageSpec, PATH_ENV, TMP_DIR, writeOciArchive } from './layout.js';
import { fileDigest } from '../file-digest.js';

/** Bump when this module changes what ends up in an image. */
const BUILDER_VERSION = 2;

/** Static Go binaries in scratch images, at the path the upstream images use. */
const CONTROL_PLANE = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;
/** Compiled from Kubernetes' build/pause/linux/pause.c by the binaries' builder. */
const PAUSE = 'pause';
const BINARIES = [...CONTROL_PLANE, 'kube-proxy', PAUSE, 'kubectl'] as const;

/** What kube-proxy runs in iptables mode: iptables-restore/-save and conntrack (stale UDP entries). */
const KUBE_PROXY_DEBS = ['iptables', 'conntrack'];
const BUSYBOX_DEB = 'busybox-static';
/** The cluster DNS server of the add-ons, as in kube-dns (no CoreDNS package exists in Debian 12). */
const ADDONS_DEBS = ['dnsmasq-base'];
/** dnsmasq-base's postinst adds its user with passwd (and PAM); no maintainer script runs in an image. */
const ADDONS_OMITTED = ['passwd'];
/** Applets the test workloads and the add-ons' scripts use; the image gets every applet, these must be among them. */
const REQUIRED_APPLETS = ['sh', 'httpd', 'wget', 'nc', 'ip', 'sleep', 'cat', 'echo', 'hostname', 'nslookup', 'killall', 'grep', 'mv', 'mkdir'];
/** dnsmasq looks its user up even as root; no package's maintainer script ran to write these. */
const ADDONS_USERS = [
  { path: 'etc/passwd', contents: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' },
  { path: 'etc/group', contents: 'root:x:0:\nnogroup:x:65534:\n' },
];
/** The names iptables' postinst points at the nft backend through update-alternatives (Debian's default, as on the nodes). */
const IPTABLES_ALTERNATIVES = ['iptables', 'iptables-save', 'iptables-restore', 'ip6tables', 'ip6tables-save', 'ip6tables-restore'];

export interface KubeImage {
  name: ImageName;
  ref: string;
  archive: string;
  digest: string;
  bytes: number;
}

export interface KubeImages {
  dir: string;
  images: KubeImage[];
}

/** A Debian version as an image tag: no epoch, and what a tag cannot hold becomes '_'. */
export function debianVersionTag(version: string): string {
  return version.replace(/^\d+:/, '').replace(/[^A-Za-z0-9_.-]/g, '_');
}

async function requireBinaries(binDir: string): Promise<Record<string, string>> {
  const sums: Record<string, string> = {};
  for (const name of BINARIES) {
    const file = path.join(binDir, name);
    try {
      await access(file);
    } catch {
      throw new HostError(`${file} is missing (the images are built from the Kubernetes binaries)`, 'build the Kubernetes binaries first (kubeBinaries() in src/images/kubernetes-binaries.ts)');
    }
    sums[name] = await fileDigest(file);
  }
  return sums;
}

/** kube-proxy: the iptables/conntrack Debian tree (maintainer scripts never run, so their symlinks are made here) plus the binary. */
async function kubeProxyLayers(binDir: string, debs: DebPackage[], work: string): Promise<LayerSpec[]> {
  const tree = path.join(work, 'kube-proxy-root');
  await debTree(debs, path.join(work, 'debs'), tree);
  for (const name of IPTABLES_ALTERNATIVES) await symlink('xtables-nft-multi', path.join(tree, 'usr/sbin', name));
  await mkdir(path.join(tree, 'run'), { recursive: true });
  await mkdir(path.join(tree, 'tmp'), { recursive: true });
  await chmod(path.join(tree, 'tmp'), 0o1777);
  return [
    { dir: tree, createdBy: `metal-lab: Debian ${debs.map((d) => `${d.name}=${d.version}`).join(' ')}` },
    { entries: [{ path: 'usr/local/bin/kube-proxy', file: path.join(binDir, 'kube-proxy'), mode: 0o755 }], createdBy: 'metal-lab: kube-proxy' },
  ];
}

/** busybox: Debian's static busybox with a symlink per applet, as `busybox --install` would make. */
async function busyboxLayers(deb: DebPackage, work: string, treeName = 'busybox-root'): Promise<LayerSpec[]> {
  const tree = path.join(work, treeName);
  await debTree([deb], path.join(work, 'debs'), tree);
  const busybox = path.join(tree, 'bin/busybox');
  const applets = (await runCommand([busybox, '--list-full'])).stdout.split('\n').filter((a) => a && a !== 'bin/busybox');
  const missing = REQUIRED_APPLETS.filter((a) => !applets.some((p) => path.posix.basename(p) === a));
  if (missing.length) throw new Error(`${BUSYBOX_DEB} ${deb.version} lacks the applets ${missing.join(', ')}`);
  return [
    {
      entries: [{ path: 'bin/busybox', file: busybox, mode: 0o755 }, ...applets.map((a) => ({ path: a, symlink: '/bin/busybox' })), TMP_DIR],
      createdBy: `metal-lab: Debian ${BUSYBOX_DEB}=${deb.version}`,
    },
  ];
}

/**
 * The add-ons' image: dnsmasq with its libraries from Debian, busybox for the scripts, and kubectl,
 * through which the scripts read Nodes and Services. Its own download dir: kube-proxy's tree is
 * unpacked at the same time, and both closures hold libc6.
 */
async function addonsLayers(binDir: string, debs: DebPackage[], busybox: DebPackage, work: string): Promise<LayerSpec[]> {
  const tree = path.join(work, 'addons-root');
  await debTree(debs, path.join(work, 'addons-debs'), tree);
  return [
    { dir: tree, createdBy: `metal-lab: Debian ${debs.map((d) => `${d.name}=${d.version}`).join(' ')}` },
    ...(await busyboxLayers(busybox, work, 'addons-busybox-root')),
    { entries: [{ path: 'usr/local/bin/kubectl', file: path.join(binDir, 'kubectl'), mode: 0o755 }, ...ADDONS_USERS], createdBy: 'metal-lab: kubectl, users' },
  ];
}

function scratchBinary(binDir: string, name: string, at: string): LayerSpec[] {
  return [{ entries: [{ path: at, file: path.join(binDir, name), mode: 0o755 }, TMP_DIR], createdBy: `metal-lab: ${name}` }];
}

/** What the images are made of. */
interface ImageInputs {
  binDir: string;
  version: string;
  proxyDebs: DebPackage[];
  addonsDebs: DebPackage[];
  busybox: DebPackage;
}

async function imageSpec(name: ImageName, o: ImageInputs & { work: string }): Promise<OciImageSpec> {
  const env = [PATH_ENV];
  switch (name) {
    case 'kube-apiserver':
    case 'kube-controller-manager':
    case 'kube-scheduler':
      return { ref: imageRef(name, o.version), layers: scratchBinary(o.binDir, name, `usr/local/bin/${name}`), config: { env, entrypoint: [`/usr/local/bin/${name}`] } };
    case 'kube-proxy':
      return { ref: imageRef(name, o.version), layers: await kubeProxyLayers(o.binDir, o.proxyDebs, o.work), config: { env, entrypoint: ['/usr/local/bin/kube-proxy'] } };
    case 'pause':
      return { ref: imageRef(name, o.version), layers: scratchBinary(o.binDir, PAUSE, 'pause'), config: { env, entrypoint: ['/pause'] } };
    case 'busybox':
      return { ref: imageRef(name, debianVersionTag(o.busybox.version)), layers: await busyboxLayers(o.busybox, o.work), config: { env, cmd: ['sh'] } };
    case 'addons':
      return { ref: imageRef(name, o.version), layers: await addonsLayers(o.binDir, o.addonsDebs, o.busybox, o.work), config: { env, cmd: ['sh'] } };
  }
}

const IMAGES_JSON = 'images.json';

/** images.json names archives relative to its dir: the dir is built under a temp name and renamed. */
async function readImages(dir: string): Promise<KubeImage[] | undefined> {
  const listed = await readRecord<KubeImage[]>(path.join(dir, IMAGES_JSON));
  return listed?.map((i) => ({ ...i, archive: path.join(dir, i.archive) }));
}

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)}s`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * Builds every image of IMAGE_NAMES as an OCI archive `ctr -n k8s.io images import` loads under
 * its metal-lab.local reference. Cached under `<cacheDir>/kube-images/<key>/` (default cacheDir:
 * `hostLayout().cacheRoot`), keyed by the binaries' sha256s, the exact .deb versions and the
 * builder version: a second call builds nothing. Needs root (unpacked Debian trees keep root-owned
 * files) and the host's apt lists.
 */
export async function buildKubeImages({ binDir, version, cacheDir, ...reporting }: { binDir: string; version: string; cacheDir?: string } & BuildReporting): Promise<KubeImages> {
  const binaries = await requireBinaries(binDir);
  const [proxyDebs, addonsDebs, { pkg: busybox }] = await Promise.all([debClosure(KUBE_PROXY_DEBS), debClosure(ADDONS_DEBS, {}, ADDONS_OMITTED), showPackage(BUSYBOX_DEB)]);
  const r = await cachedBuild({
    ...reporting,
    what: `the kube images of ${version}`,
    root: path.join(cacheDir ?? hostLayout().cacheRoot, 'kube-images'),
    inputs: { builder: BUILDER_VERSION, version, binaries, debs: [...proxyDebs, ...addonsDebs, busybox] },
    read: readImages,
    summary: (images) => images.map((i) => `${i.name} ${mb(i.bytes)}`).join(', '),
    build: (tmp, { progress }) => writeImages(tmp, progress, { binDir, version, proxyDebs, addonsDebs, busybox }),
  });
  return { dir: r.dir, images: r.value };
}

/** Every image's archive into `tmp`, then images.json. */
async function writeImages(tmp: string, progress: (m: string) => void, o: ImageInputs): Promise<void> {
  progress(`building ${IMAGE_NAMES.length} kube images (${o.version}, Debian ${o.proxyDebs.length} packages for kube-proxy)`);
  const work = path.join(tmp, 'work');
  await mkdir(work);
  // All at once: downloading the .debs overlaps compressing the big binaries (gzip runs off the main thread).
  const listed = await Promise.all(
    IMAGE_NAMES.map(async (name): Promise<KubeImage> => {
      const t = performance.now();
      const spec = await imageSpec(name, { ...o, work });
      const file = `${name}.tar`;
      const written = await writeOciArchive(spec, path.join(tmp, file));
      progress(`built ${spec.ref}: ${mb(written.bytes)} in ${seconds(t)}`);
      return { name, ref: spec.ref, archive: file, digest: written.digest, bytes: written.bytes };
    }),
  );
  await rm(work, { recursive: true, force: true });
  await writeFile(path.join(tmp, IMAGES_JSON), `${JSON.stringify(listed, null, 2)}\n`);
}
