import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { HostError } from '../errors.js';
import { bundleAptOptions, loadedBundle } from '../ground/bundle-layout.js';
import { hostLayout } from '../ground/host-layout.js';
import { virsh } from '../libvirt/virsh.js';
import { lastLines, runCommand } from '../toolkit/command-error.js';
import { pending, waitFor } from '../toolkit/wait-for.js';
import { labNow } from '../toolkit/lab-clock.js';
import { startHeartbeat } from '../toolkit/heartbeat.js';
import { runLogged } from '../toolkit/logged-command.js';

/**
 * Debian packages the lab needs on the host, and a workshop bundle carries. The guest kernel and
 * busybox are NOT installed: the image builder downloads and unpacks their .debs itself.
 */
export const LAB_PACKAGES = [
  'qemu-system-x86', // the hypervisor (KVM or TCG)
  'qemu-utils', // qcow2 volumes
  'libvirt-daemon-system', // libvirtd, virtlogd, network driver
  'libvirt-clients', // virsh, virt-xml-validate
  'dnsmasq-base', // DHCP, DNS and TFTP of libvirt networks
  'iptables', // libvirt's network firewall rules
  'nftables', // nft: a scenario's partition steps drop frames between nodes on the lab bridge
  'ipxe', // undionly.kpxe and ipxe.efi for the TFTP chain
  'ipxe-qemu', // iPXE option ROMs of QEMU's NICs
  'ovmf', // UEFI firmware for firmware: uefi nodes
  'cpio', // initramfs archives
  'iproute2', // route and address checks
  'libxml2-utils', // xmllint, which virt-xml-validate runs
  'ignition', // ignition-validate, which checks every rendered Ignition config in the tests
  'busybox-static', // udhcpc, a DHCP client the iPXE chain test poses as a boot ROM with
  'debootstrap', // the labos disk image's Debian root (dracut and Ignition run inside its chroot)
  'e2fsprogs', // mkfs.ext4 -d writes that root into an ext4 image without mounting; debugfs reads it back
  'openssh-server', // a real sshd for the SSH tests
  'systemd-journal-remote', // writes real journal files for the test that reads a node's journal from its disk
  'ca-certificates',
  'etcd-server', // a real etcd for the envtest-style Kubernetes API tests (kube-apiserver from the lab's own build)
  'golang-go', // builds Kubernetes from Debian's source package (GOPATH mode, vendored), and the update operator (FLUO)
  'rsync', // Kubernetes' build scripts copy the tree with it
  'dpkg-dev', // dpkg-source, which `apt-get source` unpacks Debian's kubernetes source with
  'gcc', // the pause container's binary, compiled statically from Kubernetes' pause.c
  'libc6-dev', // ... against glibc's static libc
  'umoci', // an independent OCI image-layout reader: the image tests unpack the lab's container images with it
  // The labos update engine's host test runs the engine (Python, D-Bus, GLib) on a private dbus-daemon,
  // with grub-editenv on a stand-in grubenv.
  'dbus',
  'python3-dbus',
  'python3-gi',
  'grub-common',
] as const;

/** What only the tests use: setup installs them too (CI runs it), a workshop bundle leaves them out. */
export const TEST_PACKAGES = [
  'chromium', // a real browser, driven headless by puppeteer-core, for the HTML run report's host test
  'vagrant', // `vagrant validate` of the Vagrantfile
  'vagrant-libvirt',
  'fdisk', // sfdisk partitions the Debian 12 box vagrant/build-box.sh makes for the nightly Vagrant test
] as const;

export const SETUP_PACKAGES: readonly string[] = [...LAB_PACKAGES, ...TEST_PACKAGES];

async function missingPackages(wanted: readonly string[]): Promise<string[]> {
  // Exit 1: some package is unknown to dpkg, which is what this asks.
  const r = await runCommand(['dpkg-query', '-W', '-f=${Package} ${db:Status-Abbrev}\n', ...wanted], { allowExit: [0, 1] });
  const installed = new Set(
    r.stdout
      .split('\n')
      .filter((l) => /\sii\s*$/.test(l))
      .map((l) => l.split(' ')[0]),
  );
  return wanted.filter((p) => !installed.has(p));
}

export function aptCommand(packages: readonly string[]): string {
  return `apt-get update && apt-get install -y --no-install-recommends ${packages.join(' ')}`;
}

const APT_LOG = '/var/log/metal-lab-setup.log';

/** apt-get's many lines go to APT_LOG; the terminal gets a heartbeat quoting the latest, and a failure its tail. */
async function aptGet(options: string[], args: string[], activity: string, log: (line: string) => void): Promise<void> {
  let last: string | undefined;
  const beat = startHeartbeat({ activity, say: log, last: () => last });
  try {
    await runLogged(['apt-get', ...options, ...args], {
      logFile: APT_LOG,
      env: { DEBIAN_FRONTEND: 'noninteractive' },
      onLine: (line) => void (last = line),
      what: `apt-get ${args[0]}`,
    });
  } finally {
    beat.stop();
  }
}

async function running(name: string): Promise<boolean> {
  // Exit 1: no such process.
  return (await runCommand(['pidof', name], { allowExit: [0, 1] })).exitCode === 0;
}

export interface SetupReport {
  installed: string[];
  started: string[];
}

/**
 * Makes the host ready: installs missing Debian packages (as root; otherwise says the exact
 * command) and starts virtlogd and libvirtd, which have no systemd to start them here.
 */
export async function ensureHost(log: (line: string) => void = () => {}): Promise<SetupReport> {
  // A loaded workshop bundle is the only source then: it holds the lab's packages and what they
  // depend on, and leaves the tests' out.
  const bundle = loadedBundle(hostLayout().cacheRoot);
  const fromBundle = existsSync(bundle.sourcesList);
  const missing = await missingPackages(fromBundle ? LAB_PACKAGES : SETUP_PACKAGES);
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) {
      throw new HostError(`missing Debian packages: ${missing.join(' ')}`, `run as root: ${aptCommand(missing)}`);
    }
    const options = fromBundle ? bundleAptOptions(bundle) : [];
    log(`installing ${missing.join(' ')}${options.length ? ` from the bundle in ${bundle.dir}` : ''}`);
    await aptGet(options, ['update', '-q'], 'updating the package lists', log);
    await aptGet(options, ['install', '-y', '-q', '--no-install-recommends', ...missing], `installing ${missing.length} Debian packages`, log);
  }
  await fixKvmDevicePermissions(log);
  const started: string[] = [];
  for (const daemon of ['virtlogd', 'libvirtd']) {
    if (await running(daemon)) continue;
    if (process.getuid?.() !== 0) throw new HostError(`${daemon} is not running`, `start it as root: ${daemon} -d`);
    log(`starting ${daemon}`);
    // Where systemd runs (a Vagrant VM) its units own the daemons' sockets; elsewhere nothing starts them.
    await runCommand(existsSync('/run/systemd/system') ? ['systemctl', 'start', daemon] : [daemon, '-d']);
    started.push(daemon);
  }
  if (started.includes('libvirtd')) await waitForLibvirt();
  return { installed: missing, started };
}

/**
 * Without udev nothing applies Debian's rule for /dev/kvm (group kvm, mode 0660), so it stays
 * root-only. libvirt then finds KVM "enabled when probing but not available now" for its qemu
 * user, throws its capability cache away and re-probes QEMU on every call: each virsh define
 * or start takes 10-90 s. Applying the rule keeps the cache valid; whether guests use KVM is
 * still decided by the accelerator probe.
 */
async function fixKvmDevicePermissions(log: (line: string) => void): Promise<void> {
  const st = await fs.stat('/dev/kvm').catch(() => undefined);
  if (!st || process.getuid?.() !== 0) return;
  // Exit 2: no such group.
  const kvm = (await runCommand(['getent', 'group', 'kvm'], { allowExit: [0, 2] })).stdout.split(':')[2];
  if (!kvm || (st.gid === Number(kvm) && (st.mode & 0o660) === 0o660)) return;
  log('giving /dev/kvm to group kvm, mode 0660 (the udev rule this host does not run)');
  await fs.chown('/dev/kvm', 0, Number(kvm));
  await fs.chmod('/dev/kvm', st.mode | 0o660);
}

/** libvirtd -d returns before its socket accepts connections. */
async function waitForLibvirt(): Promise<void> {
  await waitFor('libvirtd to answer `virsh uri` after starting', async () => {
    const r = await virsh(['uri'], { check: false });
    return r.exitCode === 0 || pending(lastLines(r.stderr, 1));
  }, { deadline: labNow() + 10_000, intervalMs: 200, fix: 'see /var/log/libvirt/libvirtd.log' });
}
