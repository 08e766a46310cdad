import { lstat, mkdir, readFile, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { writeOciArchive } from '../../../../src/images/oci/layout.js';
import { needs, packageFile, program } from '../../../support/needs.js';
import { imageSpec as spec, makeTree, REF } from '../../../support/oci-image.js';
import { tempDir } from '../../../support/temp-dir.js';
import { sha256Of, umociUnpack } from '../../../support/umoci.js';

// The images carry the host's busybox; umoci reads them independently of our writer. tar,
// gzip, sha256sum and chroot are Debian essentials.
const busybox = packageFile('/bin/busybox', 'busybox-static');

needs(busybox, program('umoci', 'umoci'))('umoci unpacks the archive by its tag into the tree, modes and links we put in', async (t) => {
  const dir = await tempDir(t, 'oci-layout-test-');
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

needs(busybox)('the index names the image for containerd and OCI tools; layer digests and diff_ids match the blobs', async (t) => {
  const dir = await tempDir(t, 'oci-layout-test-');
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
