import type { LabSpec, NodeSpec } from '../ground/lab-spec.js';
import { labModel } from '../ground/lab-model.js';
import type { LabPki } from '../pki/ensure.js';
import { file, type IgnFile, type IgnUnit } from './ignition-files.js';
import { renderKubeIgnition, type KubeNodeAssets } from './ignition-kube.js';
import { renderUpdateIgnition } from './ignition-updates.js';
import { renderNicWatchdog } from './nic-watchdog.js';
import { ETCD_SECRETS_READY, ETCD_TLS_DIR } from './node-secrets.js';

/** Ignition spec version the lab renders: the newest stable one Debian's Ignition 2.14 reads. */
export const IGNITION_VERSION = '3.3.0';


const ETCD_CLIENT_PORT = 2379;
const ETCD_PEER_PORT = 2380;

/** The static initial cluster: every controller by name and peer URL. */
export function etcdInitialCluster(lab: LabSpec): string {
  return labModel(lab)
    .controllers.map((n) => `${n.name}=https://${n.ip}:${ETCD_PEER_PORT}`)
    .join(',');
}

/**
 * Debian's etcd.service reads /etc/default/etcd. Heartbeat and election timeouts grow with the
 * accelerator's timeout scale: under TCG a guest is an order of magnitude slower than etcd assumes.
 */
function etcdEnvironment(lab: LabSpec, node: NodeSpec, timeoutScale: number): string {
  const tls = (f: string) => `${ETCD_TLS_DIR}/${f}`;
  const env: Record<string, string> = {
    ETCD_NAME: node.name,
    ETCD_DATA_DIR: '/var/lib/etcd/default',
    ETCD_LISTEN_PEER_URLS: `https://${node.ip}:${ETCD_PEER_PORT}`,
    ETCD_LISTEN_CLIENT_URLS: `https://${node.ip}:${ETCD_CLIENT_PORT},https://127.0.0.1:${ETCD_CLIENT_PORT}`,
    ETCD_INITIAL_ADVERTISE_PEER_URLS: `https://${node.ip}:${ETCD_PEER_PORT}`,
    ETCD_ADVERTISE_CLIENT_URLS: `https://${node.ip}:${ETCD_CLIENT_PORT}`,
    ETCD_INITIAL_CLUSTER: etcdInitialCluster(lab),
    ETCD_INITIAL_CLUSTER_STATE: 'new',
    ETCD_INITIAL_CLUSTER_TOKEN: `metal-lab-${lab.id}`,
    // Bookworm's etcd (3.4 before 3.4.30) logs a slow read-index through a nil logger under its
    // default capnslog and panics (etcd-io/etcd#14402, #17265): zap is the logger it has.
    ETCD_LOGGER: 'zap',
    ETCD_HEARTBEAT_INTERVAL: String(100 * timeoutScale),
    ETCD_ELECTION_TIMEOUT: String(1000 * timeoutScale),
    ETCD_TRUSTED_CA_FILE: tls('ca.crt'),
    ETCD_CERT_FILE: tls('server.crt'),
    ETCD_KEY_FILE: tls('server.key'),
    ETCD_CLIENT_CERT_AUTH: 'true',
    ETCD_PEER_TRUSTED_CA_FILE: tls('ca.crt'),
    ETCD_PEER_CERT_FILE: tls('peer.crt'),
    ETCD_PEER_KEY_FILE: tls('peer.key'),
    ETCD_PEER_CLIENT_CERT_AUTH: 'true',
  };
  return Object.entries(env).map(([k, v]) => `${k}=${v}\n`).join('');
}

/**
 * Debian's etcd.service starts after network.target only and restarts only on a signal or a
 * timeout. etcd binds the node's own address, so when DHCP has not given it yet etcd exits
 * ("cannot assign requested address") and stays dead: the member never joins. Without its keys
 * (before the lab has copied them) it is skipped, not failed; etcd.path starts it once they are there.
 * On a busy node (a TCG controller runs two apiservers at 100% CPU during the pivot) heartbeats and
 * read-index answers must not wait their turn: etcd runs in a slice of its own (ETCD_SLICE) and
 * first for the disk, as etcd's tuning guide asks.
 * No start timeout, as Container Linux's etcd-member.service: a member is "started" once it has
 * published itself through the quorum, and one killed while waiting for it never rejoins.
 */
const ETCD_DROPIN = `[Unit]
Wants=network-online.target
After=network-online.target
ConditionPathExists=${ETCD_SECRETS_READY}

[Service]
Restart=always
RestartSec=5s
TimeoutStartSec=0
Slice=etcd.slice
IOSchedulingClass=best-effort
IOSchedulingPriority=0
`;

/**
 * The kernel divides the CPU between cgroups first, and a nice value ranks a process only within
 * its own. In system.slice etcd had a share of system.slice's, which had half the pods' (the
 * kubelet gives kubepods 1024 shares a CPU); its Nice=-19 ranked it above nothing. Under TCG the
 * members missed heartbeats by seconds and changed leaders five times in ten minutes (ha run 24).
 * Beside the pods and system.slice, with ten times the default weight, etcd runs when it is ready
 * to; it uses a fraction of a CPU.
 */
const ETCD_SLICE = `[Unit]
Description=etcd, ahead of the pods and the other services for the CPU

[Slice]
CPUWeight=1000
`;

/** etcd starts once the lab has copied its TLS files over SSH (node-secrets.ts), on every boot after that at once. */
const ETCD_PATH = `[Unit]
Description=Start etcd once the lab has copied its TLS files

[Path]
PathExists=${ETCD_SECRETS_READY}

[Install]
WantedBy=multi-user.target
`;

/** Where a node keeps that its first boot was reported. */
const FIRST_BOOT_REPORTED = '/var/lib/metal-lab/first-boot-reported';

/**
 * The first-boot report: a console marker the lab greps for, and a callback into the request log.
 * Once, on the first boot that gets this far, by a stamp of its own: not ConditionFirstBoot, since
 * a first boot cut short (a TCG guest starved into a soft lockup, then reset by its watchdog) has
 * committed the machine-id already, and the boot after it would never report.
 */
function firstBootUnit(lab: LabSpec, node: NodeSpec): string {
  const url = `${labModel(lab).bootServerUrl}/lab/event?mac=${node.mac}&stage=installed`;
  return `[Unit]
Description=metal-lab: report the installed system's first boot
Wants=network-online.target
After=network-online.target
ConditionPathExists=!${FIRST_BOOT_REPORTED}

[Service]
Type=oneshot
StateDirectory=metal-lab
StandardOutput=journal+console
ExecStart=/bin/echo "metal-lab: installed system up node=${node.name} mac=${node.mac}"
ExecStart=/usr/bin/curl -fsS --retry 10 --retry-delay 2 --retry-all-errors -o /dev/null "${url}"
ExecStart=/bin/touch ${FIRST_BOOT_REPORTED}

[Install]
WantedBy=multi-user.target
`;
}

/**
 * A node's Ignition config (spec 3.3.0) for its installed system: hostname, the `core` user with
 * the lab's SSH key, on controllers etcd with the static initial cluster, started by etcd.path
 * once the lab has copied its TLS files (Ignition carries no private key), and
 * in a Kubernetes lab the node's container runtime, networking and kubelet (ignition-kube.ts),
 * with `updates:` the update engine's channel and release key (ignition-updates.ts), and on
 * every node the watchdog for QEMU's stuck virtio transmit queue (nic-watchdog.ts).
 * Pure: the PKI comes in as an argument, and only its certificates and public keys go in.
 */
export function renderNodeIgnition(lab: LabSpec, node: NodeSpec, pki: LabPki, opts: { timeoutScale: number; kube?: KubeNodeAssets }): object {
  const files: IgnFile[] = [file('/etc/hostname', `${node.name}\n`, 0o644)];
  const units: IgnUnit[] = [{ name: 'metal-lab-firstboot.service', enabled: true, contents: firstBootUnit(lab, node) }];
  if (node.role === 'controller') {
    files.push(file('/etc/default/etcd', etcdEnvironment(lab, node, opts.timeoutScale), 0o644));
    // Not `enabled: false`: Ignition would run `systemctl --root /sysroot disable` in the
    // initramfs, where labos's /usr (which holds the unit) is not mounted, and fail the boot.
    units.push(
      { name: 'etcd.service', enabled: true, dropins: [{ name: '10-metal-lab.conf', contents: ETCD_DROPIN }] },
      { name: 'etcd.path', enabled: true, contents: ETCD_PATH },
      { name: 'etcd.slice', contents: ETCD_SLICE },
    );
  } else {
    units.push({ name: 'etcd.service', mask: true });
  }
  files.push(...renderUpdateIgnition(lab, pki));
  const nicWatchdog = renderNicWatchdog();
  files.push(...nicWatchdog.files);
  units.push(...nicWatchdog.units);
  if (opts.kube) {
    const kube = renderKubeIgnition(node, pki, opts.kube, opts);
    files.push(...kube.files);
    units.push(...kube.units);
  }
  return {
    ignition: { version: IGNITION_VERSION },
    passwd: { users: [{ name: 'core', sshAuthorizedKeys: [pki.ssh.publicKey.trim()] }] },
    storage: { files },
    systemd: { units },
  };
}
