import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import ssh2 from 'ssh2';
import { diskKernelArgs, FIRST_BOOT_ARG } from '../../../src/ground/node-image.js';
import { buildDiskImage, diskImageCached, type DiskImage } from '../../../src/images/labos-disk.js';
import { bootDirect } from '../../../src/qemu/direct-boot.js';
import { needs, packageFile, program, qemu, root } from '../../support/needs.js';

// Builds into the lab's real cache (kept across runs: the cold build debootstraps from the
// Debian archive, about three minutes here; npm test builds it before this tier) and boots the
// image once under TCG. debugfs and e2label read the images back without mounting them.
const test = needs(root, program('debootstrap', 'debootstrap'), packageFile('/usr/sbin/debugfs', 'e2fsprogs'), qemu);

const HELLO = 'hello from ignition, node1';
// Not anchored: the line can follow getty's login prompt on the console.
const MARKER = new RegExp(`metal-lab: ignition applied: ${HELLO} .*`);
const FIRST_BOOT_FLAG = '/boot/labos/first_boot';

/** The entries of a debugfs `ls -p` listing, without . and .. */
const names = (listing: string) =>
  listing.split('\n').map((l) => l.split('/')[5]).filter((n): n is string => !!n && n !== '.' && n !== '..').sort();

let image: DiskImage;
let tmp: string;
const progress: string[] = [];
test.before(async () => {
  image = await buildDiskImage({ onProgress: (m) => progress.push(m) });
  console.log(`disk image ${image.built ? 'built' : 'cached'}: ${progress.at(-1)}`);
  tmp = await mkdtemp(path.join(os.tmpdir(), 'labos-disk-test-'));
});
test.after.always(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test.serial('a second build with the same inputs builds nothing and returns the same image', async (t) => {
  const again = await buildDiskImage();
  t.false(again.built);
  t.is(again.key, image.key);
  t.regex(image.key, /^[0-9a-f]{20}$/);
  t.regex(image.kernelVersion, /^\d+\.\d+\.\d+-\d+-cloud-amd64$/);
  t.deepEqual(image.release, { version: '1.0.0', kernel: 'linux-image-cloud-amd64' });
  for (const f of [image.rootfs, image.usr, image.kernel, image.initrd]) t.true((await stat(f)).isFile(), f);
  t.is((await stat(image.rootfs)).size, image.sizes.rootfs);
  t.is((await stat(image.usr)).size, image.sizes.usr);
  t.is((await stat(image.initrd)).size, image.sizes.initrd);
  t.deepEqual((await readdir(path.dirname(image.rootfs))).sort(), ['initrd.img', 'manifest.json', 'root.ext4', 'usr.ext4', 'vmlinuz']);

  const names = new Set(image.packages.map((p) => p.split('=')[0]));
  for (const p of ['systemd', 'openssh-server', 'etcd-server', 'etcd-client', 'ignition', 'dracut-core', 'grub-pc-bin', 'grub2-common', 'dbus', 'python3-dbus', 'python3-gi', 'grub-common']) {
    t.true(names.has(p), p);
  }
  const status = await diskImageCached();
  t.true(status.cached);
  t.is(status.dir, path.dirname(image.rootfs));
});

test.serial('two filesystems: a root labelled root that waits for its first boot, and a stripped /usr labelled usr with its kernel', async (t) => {
  t.is((await execa('e2label', [image.rootfs])).stdout.trim(), 'root');
  t.is((await execa('e2label', [image.usr])).stdout.trim(), 'usr');
  const debugfs = async (fs: string, command: string) => (await execa('debugfs', ['-R', command, fs])).stdout;
  const cat = (file: string) => debugfs(image.rootfs, `cat ${file}`);
  t.is(await cat('/etc/machine-id'), 'uninitialized');
  t.regex(await cat('/etc/shadow'), /^root:!/m, 'root is locked');
  t.regex(await cat('/etc/hosts'), /^127\.0\.0\.1\s+localhost$/m);
  t.deepEqual(names(await debugfs(image.rootfs, 'ls -p /usr')), [], "the root's /usr is an empty mount point");
  t.deepEqual(names(await debugfs(image.rootfs, 'ls -p /boot')).filter((n) => /^(vmlinuz|initrd)/.test(n)), [], 'no kernel on the root: each slot boots its own');
  t.deepEqual(names(await debugfs(image.usr, 'ls -p /lib/labos/boot')), ['initrd.img', 'vmlinuz']);
  t.regex(await debugfs(image.usr, 'cat /lib/labos/grub.cfg'), /linux \/boot\/labos\/\$slot\/vmlinuz .*mount\.usr=PARTUUID=\$usr/);
  const docs = await debugfs(image.usr, 'ls -p /share/doc/systemd');
  t.regex(docs, /copyright/);
  t.notRegex(docs, /changelog/);
  const keys = await debugfs(image.rootfs, 'ls -p /etc/ssh');
  t.notRegex(keys, /ssh_host_/, 'no host keys shared between nodes');
});

test.serial('each image holds its files and little more: every byte crosses the network at each install', async (t) => {
  const header = async (fs: string) => {
    const out = (await execa('dumpe2fs', ['-h', fs])).stdout;
    const field = (name: string) => new RegExp(`^${name}:\\s+(.*)$`, 'm').exec(out)?.[1] ?? '';
    return { features: field('Filesystem features'), blockSize: Number(field('Block size')), blocks: Number(field('Block count')), free: Number(field('Free blocks')), reserved: Number(field('Reserved block count')) };
  };
  const [usr, root] = [await header(image.usr), await header(image.rootfs)];
  t.notRegex(usr.features, /has_journal/, 'a read-only /usr has no journal');
  t.is(usr.reserved, 0);
  t.true(usr.free < usr.blocks * 0.03, `/usr: ${usr.free} of ${usr.blocks} blocks free`);
  t.regex(root.features, /has_journal/);
  t.is(root.blockSize, 4096, 'the root is grown to its partition: it gets the block size of a large filesystem');
  t.true(root.free < root.blocks * 0.3, `root: ${root.free} of ${root.blocks} blocks free`);
});

test.serial('the update engine is in place: labos os-release, Flatcar channel file, D-Bus policy, units enabled, watchdog', async (t) => {
  const debugfs = async (command: string, fs = image.rootfs) => (await execa('debugfs', ['-R', command, fs])).stdout;
  t.regex(await debugfs('stat /etc/os-release'), /Fast link dest: "\.\.\/usr\/lib\/os-release"/);
  const osRelease = await debugfs('cat /lib/os-release', image.usr);
  t.regex(osRelease, /^ID=labos$/m);
  t.regex(osRelease, /^VERSION=1\.0\.0$/m, 'unquoted and a valid label value: the update agent labels the node with it');
  t.regex(await debugfs('cat /share/flatcar/update.conf', image.usr), /^GROUP=stable$/m);
  t.regex(await debugfs('cat /share/dbus-1/system.d/com.coreos.update1.conf', image.usr), /<allow own="com\.coreos\.update1"\/>/);
  t.regex(await debugfs('cat /lib/systemd/system.conf.d/labos-watchdog.conf', image.usr), /^RuntimeWatchdogSec=/m);
  t.regex(await debugfs('cat /etc/dracut.conf.d/labos.conf'), /^force_drivers\+=" softdog "$/m, 'the initramfs loads the watchdog');
  t.regex(await debugfs(`ls -p /lib/modules/${image.kernelVersion}/kernel/drivers/watchdog`, image.usr), /\/softdog\.ko\//);
  const wants = await debugfs('ls -p /etc/systemd/system/multi-user.target.wants');
  for (const unit of ['labos-update-engine.service', 'labos-mark-good.service']) t.true(wants.includes(`/${unit}/`), unit);
  t.true((await debugfs('ls -p /etc/systemd/system')).includes('/update-engine.service/'), 'the Flatcar name is an alias');
});

/** The node's config: a user with a key, a file, and a unit that reports both on the console. */
function ignitionConfig(sshKey: string): string {
  const report = [
    'sync',
    // Composed at run time so that the marker never appears in the config itself.
    `echo "metal-lab: ignition applied: $(cat /etc/metal-lab/hello) user=$(id -un core) ssh=$(systemctl is-active ssh) keysfile=$(sshd -T -C user=core,host=node1,addr=10.0.2.15 | grep -i '^authorizedkeysfile' | cut -d' ' -f2-)" > /dev/console`,
  ].join('; ');
  return JSON.stringify({
    ignition: { version: '3.3.0' },
    passwd: { users: [{ name: 'core', sshAuthorizedKeys: [sshKey] }] },
    storage: {
      files: [{ path: '/etc/metal-lab/hello', mode: 0o644, contents: { source: `data:,${encodeURIComponent(HELLO)}` } }],
    },
    systemd: {
      units: [
        {
          name: 'metal-lab-report.service',
          enabled: true,
          contents: [
            '[Unit]',
            'After=multi-user.target ssh.service labos-firstboot-done.service',
            '[Service]',
            'Type=oneshot',
            `ExecStart=/bin/sh -c '${report.replace(/'/g, `'"'"'`)}'`,
            '[Install]',
            'WantedBy=multi-user.target',
            '',
          ].join('\n'),
        },
      ],
    },
  });
}

test.serial('on first boot Debian\'s Ignition creates the user, key, file and unit from the served config', async (t) => {
  t.timeout(15 * 60_000);
  const key = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'metal-lab-test' }).public.trim();
  const config = ignitionConfig(key);
  const fetched: string[] = [];
  const server = http.createServer((req, res) => {
    fetched.push(req.url ?? '');
    if (req.url === '/config.ign') res.writeHead(200, { 'content-type': 'application/json' }).end(config);
    else res.writeHead(404).end();
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;

  // Copies, so the cached images stay pristine: the root as /dev/vda, /usr as /dev/vdb, mounted
  // as GRUB has the initramfs mount a slot. The root is grown to 1 GiB as the installer grows it
  // to its partition: the image holds its files and little more. The first-boot flag the
  // installer writes goes in too, so labos-firstboot-done.service has it to remove.
  const disk = path.join(tmp, 'disk.img');
  const usr = path.join(tmp, 'usr.img');
  await execa('cp', ['--sparse=always', image.rootfs, disk]);
  await execa('cp', ['--sparse=always', image.usr, usr]);
  await execa('truncate', ['-s', '1G', disk]);
  await execa('resize2fs', [disk]);
  const args = [...diskKernelArgs(`http://10.0.2.2:${port}/config.ign`), 'mount.usr=/dev/vdb', 'mount.usrfstype=ext4', 'mount.usrflags=ro', FIRST_BOOT_ARG];
  const flag = path.join(tmp, 'first_boot');
  await writeFile(flag, '');
  await execa('debugfs', ['-w', '-f', '-', disk], { input: `mkdir /boot/labos\nwrite ${flag} ${FIRST_BOOT_FLAG}\n` });

  try {
    const boot = await bootDirect({
      kernel: image.kernel,
      initrd: image.initrd,
      append: args.join(' '),
      memoryMiB: 1024,
      accel: 'tcg',
      consoleLog: path.join(tmp, 'console.log'),
      net: {},
      disks: [disk, usr],
      untilMarker: MARKER,
      timeoutMs: 10 * 60_000,
    });
    console.log(`first boot under TCG reached the report in ${(boot.ms / 1000).toFixed(1)} s`);
    t.true(fetched.includes('/config.ign'), 'Ignition fetched the config over HTTP');
    t.regex(boot.log, /Ignition \(files\)/);
    t.notRegex(boot.log, /Emergency Shell/);
    const line = MARKER.exec(boot.log)?.[0] ?? '';
    t.true(line.includes(`applied: ${HELLO} `), line);
    t.regex(line, /user=core /);
    t.regex(line, /ssh=active /);
    t.regex(line, /keysfile=.*\.ssh\/authorized_keys\.d\/ignition/);
  } finally {
    await new Promise((closed) => server.close(closed));
  }

  // qemu is gone; the disk shows what Ignition and the first boot left behind.
  const cat = async (file: string) => (await execa('debugfs', ['-R', `cat ${file}`, disk])).stdout;
  t.is((await cat('/home/core/.ssh/authorized_keys.d/ignition')).trim(), key);
  t.regex(await cat('/etc/passwd'), /^core:x:\d+:\d+::\/home\/core:/m);
  t.regex(await cat('/etc/systemd/system-preset/20-ignition.preset'), /^enable metal-lab-report\.service$/m);
  t.deepEqual(names((await execa('debugfs', ['-R', 'ls -p /boot/labos', disk])).stdout), [], 'the first-boot flag is gone: later boots skip Ignition');
});
