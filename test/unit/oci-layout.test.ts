import { link, lstat, mkdir, mkdtemp, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { execa } from 'execa';
import { type OciImageSpec, splitRef, writeOciArchive } from '../../src/images/oci/layout.js';
import { sha256Of, umociUnpack } from './oci-unpack.js';

const REF = 'metal-lab.local/layout-test:v1.2.3';

async function withTmp(run: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'oci-layout-test-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A host tree with what a Debian unpack holds: nested dirs, modes, a relative symlink, a hard link. */
async function makeTree(dir: string): Promise<string> {
  const tree = path.join(dir, 'tree');
  await mkdir(path.join(tree, 'usr/lib/empty'), { recursive: true });
  await mkdir(path.join(tree, 'usr/sbin'), { recursive: true });
  await writeFile(path.join(tree, 'usr/sbin/tool'), '#!/bin/sh\necho tool\n', { mode: 0o750 });
  await link(path.join(tree, 'usr/sbin/tool'), path.join(tree, 'usr/sbin/tool-hardlink'));
  await symlink('tool', path.join(tree, 'usr/sbin/tool-alias'));
  return tree;
}

function spec(tree: string, message: string): OciImageSpec {
  return {
    ref: REF,
    config: { entrypoint: ['/bin/sh', '-c'], cmd: ['cat /etc/message'], env: ['PATH=/bin:/usr/sbin'], workingDir: '/etc' },
    layers: [
      {
        createdBy: 'entries',
        entries: [
          { path: '/bin/busybox', file: '/bin/busybox', mode: 0o755 },
          { path: 'bin/sh', symlink: 'busybox' },
          { path: 'bin/cat', symlink: '/bin/busybox' },
          { path: 'etc/message', contents: message },
          { path: 'etc/secret', contents: 's', mode: 0o600 },
          { path: 'tmp', dir: true, mode: 0o1777 },
        ],
      },
      { createdBy: 'tree', dir: tree },
    ],
  };
}

test('umoci unpacks the archive by its tag into the tree, modes and links we put in', async (t) => {
  await withTmp(async (dir) => {
    const tree = await makeTree(dir);
    const { archive } = await writeOciArchive(spec(tree, 'hello from the image\n'), path.join(dir, 'image.tar'));
    const { stdout: tags } = await execa('sh', ['-c', `mkdir -p ${dir}/ls && tar -xf ${archive} -C ${dir}/ls && umoci ls --layout ${dir}/ls`]);
    t.is(tags.trim(), 'v1.2.3');

    const { rootfs, process } = await umociUnpack(archive, 'v1.2.3', path.join(dir, 'unpacked'));
    t.deepEqual(process.args, ['/bin/sh', '-c', 'cat /etc/message']);
    t.true(process.env.includes('PATH=/bin:/usr/sbin'));
    t.is(process.cwd, '/etc');

    t.is(await sha256Of(path.join(rootfs, 'bin/busybox')), await sha256Of('/bin/busybox'));
    t.is(await readlink(path.join(rootfs, 'bin/sh')), 'busybox');
    t.is(await readFile(path.join(rootfs, 'etc/message'), 'utf8'), 'hello from the image\n');
    t.is((await stat(path.join(rootfs, 'etc/secret'))).mode & 0o7777, 0o600);
    t.is((await stat(path.join(rootfs, 'tmp'))).mode & 0o7777, 0o1777);
    // Parents of listed entries were made though not listed.
    t.true((await stat(path.join(rootfs, 'etc'))).isDirectory());

    t.is((await stat(path.join(rootfs, 'usr/sbin/tool'))).mode & 0o7777, 0o750);
    t.is((await stat(path.join(rootfs, 'usr/sbin/tool'))).ino, (await stat(path.join(rootfs, 'usr/sbin/tool-hardlink'))).ino);
    t.true((await lstat(path.join(rootfs, 'usr/sbin/tool-alias'))).isSymbolicLink());
    t.true((await stat(path.join(rootfs, 'usr/lib/empty'))).isDirectory());

    // The image runs: its entrypoint and cmd inside its own root.
    const run = await execa('chroot', [rootfs, ...(process.args ?? [])]);
    t.is(run.stdout, 'hello from the image');
  });
});

test('the index names the image for containerd and OCI tools; layer digests and diff_ids match the blobs', async (t) => {
  await withTmp(async (dir) => {
    const tree = await makeTree(dir);
    const written = await writeOciArchive(spec(tree, 'x'), path.join(dir, 'image.tar'));
    const layout = path.join(dir, 'layout');
    await mkdir(layout);
    await execa('tar', ['-xf', written.archive, '-C', layout]);
    const json = async (digest: string) => JSON.parse(await readFile(path.join(layout, 'blobs', digest.replace(':', '/')), 'utf8'));

    t.deepEqual(JSON.parse(await readFile(path.join(layout, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
    const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8'));
    t.is(index.manifests.length, 1);
    t.is(index.manifests[0].digest, written.digest);
    t.deepEqual(index.manifests[0].annotations, { 'io.containerd.image.name': REF, 'org.opencontainers.image.ref.name': 'v1.2.3' });

    const manifest = await json(written.digest);
    const config = await json(manifest.config.digest);
    t.like(config, { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' } });
    t.deepEqual(config.history, [{ created_by: 'entries' }, { created_by: 'tree' }]);
    t.is(manifest.layers.length, 2);
    for (const [i, layer] of (manifest.layers as { digest: string; size: number; mediaType: string }[]).entries()) {
      t.is(layer.mediaType, 'application/vnd.oci.image.layer.v1.tar+gzip');
      const blob = path.join(layout, 'blobs', layer.digest.replace(':', '/'));
      t.is((await stat(blob)).size, layer.size);
      t.is(`sha256:${await sha256Of(blob)}`, layer.digest);
      // The diff_id is the digest of the uncompressed tar, computed here by gzip and sha256sum.
      const { stdout } = await execa('sh', ['-c', `gzip -dc "${blob}" | sha256sum`]);
      t.is(`sha256:${stdout.split(' ')[0]}`, config.rootfs.diff_ids[i]);
    }
    t.is((await stat(written.archive)).size, written.bytes);
  });
});

test('same inputs give byte-identical archives; a changed file changes only its layer', async (t) => {
  await withTmp(async (dir) => {
    const tree = await makeTree(dir);
    const a = await writeOciArchive(spec(tree, 'one'), path.join(dir, 'a.tar'));
    const b = await writeOciArchive(spec(tree, 'one'), path.join(dir, 'b.tar'));
    const c = await writeOciArchive(spec(tree, 'two'), path.join(dir, 'c.tar'));
    t.is(a.digest, b.digest);
    t.is(await sha256Of(a.archive), await sha256Of(b.archive));
    t.not(c.digest, a.digest);
    t.not(c.layers[0]?.digest, a.layers[0]?.digest);
    t.is(c.layers[1]?.digest, a.layers[1]?.digest);
  });
});

test('references must carry a valid tag', (t) => {
  t.deepEqual(splitRef('metal-lab.local/kube-proxy:v1.20.2'), { name: 'metal-lab.local/kube-proxy', tag: 'v1.20.2' });
  t.deepEqual(splitRef('localhost:5000/x:1.35.0-4'), { name: 'localhost:5000/x', tag: '1.35.0-4' });
  t.throws(() => splitRef('metal-lab.local/kube-proxy'), { message: /with a tag/ });
  t.throws(() => splitRef('metal-lab.local/busybox:1:1.35+b1'), { message: /with a tag/ });
});
