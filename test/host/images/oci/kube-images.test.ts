import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { type KubeImages, buildKubeImages } from '../../../../src/images/oci/kube-images.js';
import { debClosure } from '../../../../src/images/oci/deb-tree.js';
import { DEFAULT_KUBE_VERSION, IMAGE_NAMES, IMAGE_REGISTRY, type ImageName } from '../../../../src/ground/cluster.js';
import { hostLayout } from '../../../../src/ground/host-layout.js';
import { findKubeBinDir, kubeBuild } from '../../../support/envtest.js';
import { needs, program, type Need } from '../../../support/needs.js';
import { sha256Of, umociUnpack } from '../../../support/umoci.js';

const NEEDED = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy', 'pause'];

/** The lab's own build of the binaries (never built here: that takes a quarter of an hour), with its version. */
function findBinaries(): { binDir: string; version: string } | undefined {
  const binDir = findKubeBinDir();
  if (!binDir || !NEEDED.every((b) => existsSync(path.join(binDir, b)))) return undefined;
  const manifest = path.join(binDir, '..', 'manifest.json');
  const version = existsSync(manifest) ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version : DEFAULT_KUBE_VERSION;
  return { binDir, version };
}

needs(program('apt-cache', 'apt'))('the kube-proxy Debian closure holds iptables, conntrack, their libraries and libc6', async (t) => {
  const names = (await debClosure(['iptables', 'conntrack'])).map((d) => d.name);
  for (const n of ['iptables', 'conntrack', 'libc6', 'libnftnl11', 'libmnl0', 'libxtables12', 'libnetfilter-conntrack3']) t.true(names.includes(n), n);
  t.deepEqual(names, [...new Set(names)].sort());
});

const bins = findBinaries();
const kubeBinaries: Need = {
  what: `the lab's Kubernetes build (${NEEDED.join(', ')} in ${path.join(hostLayout().cacheRoot, 'kubernetes')}/*/bin)`,
  fix: kubeBuild.fix,
  present: () => bins !== undefined,
};
// apt fetches the debs of kube-proxy's tools and busybox; umoci unpacks the images; chroot (a
// Debian essential) runs their binaries in their root.
const test = needs(kubeBinaries, program('apt-get', 'apt'), program('umoci', 'umoci'));
// Skipped tests never read these.
const { binDir, version } = bins ?? { binDir: '', version: '' };
let cacheDir = '';
let built: KubeImages;
let firstBuildMs = 0;
const messages: string[] = [];

test.before(async () => {
  cacheDir = await mkdtemp(path.join(os.tmpdir(), 'kube-images-test-'));
  const t0 = Date.now();
  built = await buildKubeImages({ binDir, version, cacheDir, onProgress: (m) => messages.push(m) });
  firstBuildMs = Date.now() - t0;
});
test.after.always(async () => {
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

const image = (name: ImageName) => {
  const found = built.images.find((i) => i.name === name);
  if (!found) throw new Error(`no ${name} image`);
  return found;
};
async function unpack(name: ImageName) {
  const i = image(name);
  const into = await mkdtemp(path.join(os.tmpdir(), `kube-image-${name}-`));
  return { ...(await umociUnpack(i.archive, i.ref.split(':').pop() ?? '', into)), into };
}

test.serial('every image is built once, listed in images.json, and a second call builds nothing', async (t) => {
  t.log(`first build ${(firstBuildMs / 1000).toFixed(1)}s:\n${messages.join('\n')}`);
  t.deepEqual(built.images.map((i) => i.name), [...IMAGE_NAMES]);
  for (const i of built.images) {
    t.is((await stat(i.archive)).size, i.bytes);
    t.regex(i.digest, /^sha256:[0-9a-f]{64}$/);
    t.true(i.ref.startsWith(`${IMAGE_REGISTRY}/${i.name}:`));
    if (i.name !== 'busybox') t.is(i.ref, `${IMAGE_REGISTRY}/${i.name}:${version}`);
  }
  const listed = JSON.parse(await readFile(path.join(built.dir, 'images.json'), 'utf8')) as { archive: string }[];
  t.deepEqual(listed.map((l) => path.join(built.dir, l.archive)), built.images.map((i) => i.archive));

  const again: string[] = [];
  const second = await buildKubeImages({ binDir, version, cacheDir, onProgress: (m) => again.push(m) });
  t.deepEqual(second, built);
  t.true(again.some((m) => m.includes('nothing to build')), again.join('\n'));
  t.false(again.some((m) => m.startsWith('built')));
});

test.serial('a fresh build of the same inputs gives the same digests', async (t) => {
  const other = await mkdtemp(path.join(os.tmpdir(), 'kube-images-test-'));
  try {
    const rebuilt = await buildKubeImages({ binDir, version, cacheDir: other });
    t.deepEqual(rebuilt.images.map((i) => i.digest), built.images.map((i) => i.digest));
  } finally {
    await rm(other, { recursive: true, force: true });
  }
});

for (const name of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const) {
  test(`${name}: scratch with the static binary, which runs in the image's root`, async (t) => {
    const u = await unpack(name);
    try {
      t.deepEqual((await readdir(u.rootfs)).sort(), ['tmp', 'usr']);
      const bin = path.join(u.rootfs, 'usr/local/bin', name);
      t.is(await sha256Of(bin), await sha256Of(path.join(binDir, name)));
      t.deepEqual(u.process.args, [`/usr/local/bin/${name}`]);
      const r = await execa('chroot', [u.rootfs, `/usr/local/bin/${name}`, '--version']);
      t.is(r.stdout.trim(), `Kubernetes ${version}`);
    } finally {
      await rm(u.into, { recursive: true, force: true });
    }
  });
}

test('kube-proxy: iptables (nft backend) and conntrack resolve their libraries in the image root', async (t) => {
  const u = await unpack('kube-proxy');
  try {
    t.is(await sha256Of(path.join(u.rootfs, 'usr/local/bin/kube-proxy')), await sha256Of(path.join(binDir, 'kube-proxy')));
    for (const tool of ['iptables', 'iptables-save', 'iptables-restore', 'ip6tables', 'ip6tables-save', 'ip6tables-restore']) {
      t.is(await readlink(path.join(u.rootfs, 'usr/sbin', tool)), 'xtables-nft-multi');
      const r = await execa('chroot', [u.rootfs, tool, '--version'], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
      t.regex(r.stdout, /v1\.8\.\d+ \(nf_tables\)/, tool);
    }
    t.regex((await execa('chroot', [u.rootfs, '/usr/sbin/conntrack', '--version'])).stdout, /^conntrack v/);
    t.regex((await execa('chroot', [u.rootfs, '/usr/local/bin/kube-proxy', '--version'])).stdout, new RegExp(`Kubernetes ${version}`));
    t.false(existsSync(path.join(u.rootfs, 'usr/share/doc')));
    t.true(existsSync(path.join(u.rootfs, 'lib/x86_64-linux-gnu/libc.so.6')));
    t.true(image('kube-proxy').bytes < 80e6, `kube-proxy is ${image('kube-proxy').bytes} bytes`);
  } finally {
    await rm(u.into, { recursive: true, force: true });
  }
});

test('pause: /pause runs in the image root until it is signalled', async (t) => {
  const u = await unpack('pause');
  try {
    t.deepEqual(u.process.args, ['/pause']);
    const child = execa('chroot', [u.rootfs, '/pause'], { reject: false });
    await sleep(1000);
    t.is(child.exitCode, null, 'pause exited by itself');
    child.kill('SIGTERM');
    const r = await child;
    // pause.c exits 0 on SIGINT/SIGTERM; a missing or dynamic binary would have failed at once.
    t.is(r.exitCode, 0, r.stderr);
  } finally {
    await rm(u.into, { recursive: true, force: true });
  }
});

test('busybox: sh and the workload applets run in the image root; cmd is sh', async (t) => {
  const u = await unpack('busybox');
  try {
    t.regex(image('busybox').ref, new RegExp(`^${IMAGE_REGISTRY}/busybox:[0-9][A-Za-z0-9_.-]*$`));
    t.deepEqual(u.process.args, ['sh']);
    const r = await execa('chroot', [u.rootfs, 'sh', '-c', 'echo hi; for a in httpd wget nc ip sleep hostname; do command -v $a; done'], {
      env: { PATH: '/bin:/sbin:/usr/bin:/usr/sbin' },
    });
    const lines = r.stdout.split('\n');
    t.is(lines[0], 'hi');
    t.deepEqual(lines.slice(-6).map((l) => path.posix.basename(l)), ['httpd', 'wget', 'nc', 'ip', 'sleep', 'hostname']);
    t.is(await readlink(path.join(u.rootfs, 'bin/sh')), '/bin/busybox');
  } finally {
    await rm(u.into, { recursive: true, force: true });
  }
});
