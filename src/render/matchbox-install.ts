import type { Group, Profile } from '../matchbox/types.js';
import type { LabSpec, NodeSpec } from '../ground/lab-spec.js';
import { labModel } from '../ground/lab-model.js';
import type { LabPki } from '../pki/ensure.js';
import { diskKernelArgs } from '../ground/node-image.js';
import { renderNodeIgnition } from './ignition.js';
import type { KubeNodeAssets } from './ignition-kube.js';
import { renderLiveMatchboxData, type MatchboxData } from './matchbox-live.js';

/** Where the installed image's root filesystem sits under the boot server's /assets. */
export const DISK_ASSET_DIR = 'labos-disk';
/** The disk the installer writes: the domain's virtio disk. */
export const INSTALL_DISK = '/dev/vda';

export const installGroupId = (node: NodeSpec) => `install-${node.name}`;
export const installedGroupId = (lab: LabSpec, node: NodeSpec) => `${lab.id}-${node.name}`;

/**
 * Typhoon's two groups per node. `install-<node>` selects the MAC and boots the live image with
 * metal.install, which writes the OS to disk; `<lab>-<node>` selects the MAC plus os=installed
 * (more selectors, so it wins for the installed system's requests) and serves the node's
 * Ignition config and, as a generic template, the installed kernel command line.
 */
export function renderInstallMatchboxData(lab: LabSpec, pki: LabPki, opts: { timeoutScale: number; kube?: KubeNodeAssets }): MatchboxData {
  const server = labModel(lab).bootServerUrl;
  const live = renderLiveMatchboxData(lab);
  const groups: Group[] = [];
  const profiles: Profile[] = [];
  const ignition = [...live.ignition];
  const generic: MatchboxData['generic'] = [];
  for (const node of lab.nodes) {
    const liveProfile = live.profiles.find((p) => p.id === `live-${node.name}`)!;
    profiles.push({
      ...liveProfile,
      id: installGroupId(node),
      name: `labos installer for ${node.name}`,
      boot: { ...liveProfile.boot!, args: [...liveProfile.boot!.args!, `metal.install=${INSTALL_DISK}`] },
    });
    groups.push({ ...live.groups.find((g) => g.id === `live-${node.name}`)!, id: installGroupId(node), name: `${lab.id} ${node.name} (install)`, profile: installGroupId(node) });

    const id = installedGroupId(lab, node);
    profiles.push({ id, name: `labos ${node.role} ${node.name}`, ignition_id: `${id}.ign`, generic_id: `${id}-kargs` });
    groups.push({ id, name: `${lab.id} ${node.name} (installed)`, profile: id, selector: { mac: node.mac, os: 'installed' } });
    ignition.push({ name: `${id}.ign`, config: renderNodeIgnition(lab, node, pki, opts) });
    generic.push({ name: `${id}-kargs`, text: diskKernelArgs(`${server}/ignition?mac=${node.mac}&os=installed`).join(' ') });
  }
  return { groups, profiles, ignition, generic };
}
