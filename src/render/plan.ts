import path from 'node:path';
import { assetDirMode, assetMode } from '../ground/bootkube-layout.js';
import { LAB_FILES, type LabLayout } from '../ground/host-layout.js';
import type { Accel, LabSpec } from '../ground/lab-spec.js';
import { genericFile, groupFile, ignitionFile, profileFile, type DataFile } from '../matchbox/writer.js';
import type { LabPki } from '../pki/ensure.js';
import { renderBootkubeAssets } from './bootkube/render.js';
import { assetDirs } from './bootkube/writer.js';
import { KUBE_ASSET_DIR, type KubeNodeAssets } from './ignition-kube.js';
import { renderDomainXml } from './libvirt-domain.js';
import { renderNetworkXml, tftpFiles } from './libvirt-network.js';
import { renderPoolXml, renderVolumeXml } from './libvirt-pool.js';
import { DISK_ASSET_DIR, renderInstallMatchboxData } from './matchbox-install.js';
import { LIVE_ASSET_DIR, renderLiveMatchboxData, type MatchboxData } from './matchbox-live.js';
import { renderUpdateOperator } from './update-operator/index.js';

/** One entry of a plan: a directory, a file's text, or a built file (an image) placed as it is. */
export type PlanEntry =
  | { kind: 'dir'; mode: number; /** Emptied first: files of an older render must not linger. */ fresh?: true }
  | { kind: 'text'; text: string; mode: number }
  | { kind: 'copy'; from: string };

/** Every directory and file a lab needs, by path relative to its state dir, in the order to write them. */
export type LabPlan = Map<string, PlanEntry>;

/** What Kubernetes nodes download, with digests, and the built file behind each asset name. */
export interface KubeFiles {
  assets: KubeNodeAssets;
  files: Record<string, string>;
}

export interface PlanInputs {
  accel: Accel;
  timeoutScale: number;
  /** The absolute paths the libvirt XML names: TFTP root, disk pool, console logs. */
  paths: Pick<LabLayout, 'tftp' | 'disks' | 'console'>;
  /** The live image the boot server hands out. */
  live: { kernel: string; initrd: string };
  /** Install mode: the labos root filesystem, the lab's PKI and, in a Kubernetes lab, the nodes' downloads. */
  install?: { rootfs: string; usr: string; pki: LabPki; kube?: KubeFiles };
}

/**
 * The whole lab as files: libvirt XML, the TFTP root, the Matchbox data dir (profiles and their
 * Ignition before the groups naming them: the server never sees a dangling group), the boot
 * assets, in a Kubernetes lab bootkube's asset dir, and with updates: the update operator's
 * manifests. Pure: the same inputs give the same plan.
 */
export function renderLabPlan(lab: LabSpec, inputs: PlanInputs): LabPlan {
  const plan: LabPlan = new Map();
  const F = LAB_FILES;
  const dir = (rel: string, mode = 0o755) => plan.set(rel, { kind: 'dir', mode });
  const text = (rel: string, body: string, mode = 0o644) => plan.set(rel, { kind: 'text', text: body, mode });
  const copy = (rel: string, from: string) => plan.set(rel, { kind: 'copy', from });
  const asset = (...parts: string[]) => path.join(F.matchboxAssets, ...parts);

  // World-traversable: libvirt's dnsmasq and qemu run as their own users and read the TFTP root,
  // the disks and the console logs.
  for (const d of [F.render, F.tftp, F.matchboxData, F.matchboxAssets, F.disks, F.consoleDir]) dir(d);
  text(F.networkXml, renderNetworkXml(lab, { tftpRoot: inputs.paths.tftp }));
  text(F.poolXml, renderPoolXml(lab, inputs.paths.disks));
  for (const node of lab.nodes) {
    text(F.volumeXml(node.name), renderVolumeXml(lab, node));
    text(F.domainXml(node.name), renderDomainXml(lab, node, { accel: inputs.accel, consoleLog: inputs.paths.console(node.name) }));
  }
  for (const f of tftpFiles()) copy(path.join(F.tftp, f.name), f.src);

  const install = inputs.install;
  const data: MatchboxData = install
    ? renderInstallMatchboxData(lab, install.pki, { timeoutScale: inputs.timeoutScale, kube: install.kube?.assets })
    : renderLiveMatchboxData(lab);
  const matchbox = (f: DataFile) => text(path.join(F.matchboxData, f.path), f.text);
  for (const profile of data.profiles) matchbox(profileFile(profile));
  for (const ign of data.ignition) matchbox(ignitionFile(ign.name, ign.config));
  for (const g of data.generic ?? []) matchbox(genericFile(g.name, g.text));
  for (const group of data.groups) matchbox(groupFile(group));

  dir(asset(LIVE_ASSET_DIR));
  copy(asset(LIVE_ASSET_DIR, 'vmlinuz'), inputs.live.kernel);
  copy(asset(LIVE_ASSET_DIR, 'initrd.img'), inputs.live.initrd);
  if (install) {
    dir(asset(DISK_ASSET_DIR));
    copy(asset(DISK_ASSET_DIR, 'root.ext4'), install.rootfs);
    copy(asset(DISK_ASSET_DIR, 'usr.ext4'), install.usr);
  }
  if (install?.kube) {
    const { assets, files } = install.kube;
    dir(asset(KUBE_ASSET_DIR));
    dir(asset(KUBE_ASSET_DIR, assets.version));
    for (const [name, from] of Object.entries(files)) copy(asset(KUBE_ASSET_DIR, assets.version, name), from);
    text(F.kubeAssets, `${JSON.stringify(assets, null, 2)}\n`);
    const bootkube = renderBootkubeAssets(lab, install.pki, { kubeVersion: assets.version, timeoutScale: inputs.timeoutScale });
    plan.set(F.bootkube, { kind: 'dir', mode: 0o755, fresh: true });
    for (const rel of assetDirs(bootkube)) dir(path.join(F.bootkube, rel), assetDirMode(rel));
    for (const [rel, body] of bootkube) text(path.join(F.bootkube, rel), body, assetMode(rel));
  }
  if (lab.updates && lab.kubernetes) {
    plan.set(F.updateOperator, { kind: 'dir', mode: 0o755, fresh: true });
    for (const [rel, body] of renderUpdateOperator(lab.updates, F.updateOperator)) text(rel, body);
  }
  return plan;
}
