import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { buildLiveImage, liveImageCached } from '../../../src/images/labos-live.js';
import { needs, program } from '../../support/needs.js';

// Builds into the lab's real cache (kept across runs: the first run downloads ~28 MB of debs;
// npm test builds it before this tier). apt resolves and downloads the kernel and busybox debs,
// cpio reads the initramfs back.
const test = needs(program('apt-get', 'apt'), program('cpio', 'cpio'));
test.serial('a second build with the same inputs builds nothing and returns the same image', async (t) => {
  const first = await buildLiveImage();
  const second = await buildLiveImage();
  t.false(second.built);
  t.is(second.key, first.key);
  t.is(second.kernel, first.kernel);
  t.regex(first.key, /^[0-9a-f]{20}$/);
  t.regex(first.kernelVersion, /^\d+\.\d+\.\d+-\d+-cloud-amd64$/);
  t.is((await stat(first.kernel)).size, first.sizes.kernel);
  t.is((await stat(first.initrd)).size, first.sizes.initrd);
  t.true(first.sizes.kernel > 4e6, 'a whole kernel image');

  const status = await liveImageCached();
  t.true(status.cached);
  t.is(status.dir, path.dirname(first.kernel));
});

test.serial('a fresh cache dir builds the identical image, atomically, under the same key', async (t) => {
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'labos-cache-'));
  try {
    t.false((await liveImageCached(cacheDir)).cached);
    const progress: string[] = [];
    const fresh = await buildLiveImage({ cacheDir, onProgress: (m) => progress.push(m) });
    t.true(fresh.built);
    t.true(progress.some((m) => m.startsWith('downloading linux-image-')));
    t.deepEqual(await readdir(path.join(cacheDir, 'labos-live')), [fresh.key], 'no build dir left behind');

    const shared = await buildLiveImage();
    t.is(fresh.key, shared.key, 'the key depends on the inputs only');
    t.true((await readFile(fresh.initrd)).equals(await readFile(shared.initrd)), 'reproducible initramfs');
    t.false((await buildLiveImage({ cacheDir })).built);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
});

test.serial('the initramfs holds busybox, the agent as /init, the installer and the virtio network and disk modules', async (t) => {
  const image = await buildLiveImage();
  const { stdout } = await execa('sh', ['-c', `gzip -dc "${image.initrd}" | cpio -itv --quiet`]);
  const names = stdout.split('\n').map((l) => l.split(/\s+/).slice(8).join(' '));
  t.true(names.includes('bin/busybox'));
  t.true(names.includes('bin/sh -> /bin/busybox'));
  t.true(names.includes('usr/bin/wget -> /bin/busybox'));
  t.true(names.includes('sbin/udhcpc -> /bin/busybox'));
  t.regex(stdout, /^c.* 5, +1 .* dev\/console$/m);

  const agent = await execa('sh', ['-c', `gzip -dc "${image.initrd}" | cpio -i --quiet --to-stdout init`]);
  t.is(agent.stdout + '\n', await readFile(new URL('../../../src/images/labos/init.sh', import.meta.url), 'utf8'));
  t.true(names.includes('etc/metal-lab/install.sh'));
  t.true(names.includes('sbin/fdisk -> /bin/busybox'), 'the installer partitions with busybox fdisk');

  const order = (await execa('sh', ['-c', `gzip -dc "${image.initrd}" | cpio -i --quiet --to-stdout etc/metal-lab/modules`])).stdout.split('\n');
  const base = (m: string) => path.basename(m, '.ko');
  const at = (m: string) => order.map(base).indexOf(m);
  for (const m of ['virtio_net', 'virtio_blk']) t.true(at(m) >= 0, m);
  t.true(at('failover') < at('net_failover') && at('net_failover') < at('virtio_net'));
  t.true(at('virtio_pci') < at('virtio_blk'));
  t.true(order.map(base).indexOf('virtio_ring') < order.map(base).indexOf('virtio'));
  for (const m of order) t.true(names.includes(`lib/modules/${m}`), m);
});
