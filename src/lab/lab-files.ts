import fs from 'node:fs/promises';
import path from 'node:path';
import { labPaths } from './paths.js';
import type { Accel, LabSpec } from '../ground/lab-spec.js';
import { renderNetworkXml, tftpFiles } from '../render/libvirt-network.js';
import { renderDomainXml } from '../render/libvirt-domain.js';
import { renderPoolXml, renderVolumeXml } from '../render/libvirt-pool.js';
import { LIVE_ASSET_DIR, type MatchboxData } from '../render/matchbox-live.js';
import { DISK_ASSET_DIR } from '../render/matchbox-install.js';
import { writeGeneric, writeGroup, writeIgnition, writeProfile } from '../matchbox/writer.js';

export interface LiveImage {
  kernel: string;
  initrd: string;
}

/** What the boot server hands out: the live image always, the installed root filesystem when installing. */
export interface BootAssets {
  live: LiveImage;
  disk?: { rootfs: string };
}

/** Paths of the rendered XML files that apply hands to virsh. */
export function renderedFiles(lab: LabSpec) {
  const dir = labPaths(lab.id).render;
  return {
    network: path.join(dir, 'network.xml'),
    pool: path.join(dir, 'pool.xml'),
    volume: (node: string) => path.join(dir, `volume-${node}.xml`),
    domain: (node: string) => path.join(dir, `domain-${node}.xml`),
  };
}

/** Hard-links (or, across filesystems, copies) a file into place unless it is already there. */
async function place(src: string, dest: string): Promise<void> {
  const [a, b] = await Promise.all([fs.stat(src), fs.stat(dest).catch(() => undefined)]);
  if (b && a.ino === b.ino && a.dev === b.dev) return;
  await fs.rm(dest, { force: true });
  await fs.link(src, dest).catch(() => fs.copyFile(src, dest));
}

/**
 * Writes everything the lab needs on disk: rendered libvirt XML, the TFTP root with Debian's
 * iPXE binaries, the Matchbox data dir and the boot assets. Safe to repeat: same inputs, same files.
 */
/**
 * The lab's directories, world-traversable: libvirt's dnsmasq and qemu run as their own users and
 * must reach the TFTP root, the disks and the console logs. Made first, so that private subdirs
 * (the PKI) cannot leave a parent only root can enter.
 */
export async function makeLabDirs(lab: LabSpec): Promise<void> {
  const p = labPaths(lab.id);
  for (const dir of [p.render, p.tftp, p.matchboxAssets, p.disks, p.consoleDir, path.join(p.matchboxAssets, LIVE_ASSET_DIR)]) {
    await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  }
}

export async function writeLabFiles(lab: LabSpec, accel: Accel, assets: BootAssets, data: MatchboxData): Promise<void> {
  const p = labPaths(lab.id);
  const files = renderedFiles(lab);
  await makeLabDirs(lab);
  await fs.writeFile(files.network, renderNetworkXml(lab, { tftpRoot: p.tftp }));
  await fs.writeFile(files.pool, renderPoolXml(lab, p.disks));
  for (const node of lab.nodes) {
    await fs.writeFile(files.volume(node.name), renderVolumeXml(lab, node));
    await fs.writeFile(files.domain(node.name), renderDomainXml(lab, node, { accel, consoleLog: p.console(node.name) }));
  }
  for (const f of tftpFiles()) await place(f.src, path.join(p.tftp, f.name));

  // Profiles and their files before the groups naming them: the server never sees a dangling group.
  for (const profile of data.profiles) await writeProfile(p.matchboxData, profile);
  for (const ign of data.ignition) await writeIgnition(p.matchboxData, ign.name, ign.config);
  for (const g of data.generic ?? []) await writeGeneric(p.matchboxData, g.name, g.text);
  for (const group of data.groups) await writeGroup(p.matchboxData, group);
  await place(assets.live.kernel, path.join(p.matchboxAssets, LIVE_ASSET_DIR, 'vmlinuz'));
  await place(assets.live.initrd, path.join(p.matchboxAssets, LIVE_ASSET_DIR, 'initrd.img'));
  if (assets.disk) {
    await fs.mkdir(path.join(p.matchboxAssets, DISK_ASSET_DIR), { recursive: true, mode: 0o755 });
    await place(assets.disk.rootfs, path.join(p.matchboxAssets, DISK_ASSET_DIR, 'root.ext4'));
  }
}
