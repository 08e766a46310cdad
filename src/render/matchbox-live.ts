import type { Group, Profile } from '../matchbox/types.js';
import type { LabSpec, NodeSpec } from '../ground/lab-spec.js';
import { labModel } from '../ground/lab-model.js';
import { GUEST_KERNEL_ARGS } from '../ground/node-image.js';

/** Where the live image sits under the boot server's /assets. */
export const LIVE_ASSET_DIR = 'labos-live';

export interface MatchboxData {
  groups: Group[];
  profiles: Profile[];
  ignition: Array<{ name: string; config: object }>;
  generic?: Array<{ name: string; text: string }>;
}

export const liveGroupId = (node: NodeSpec) => `live-${node.name}`;
export const liveProfileId = (node: NodeSpec) => `live-${node.name}`;

/**
 * The PXE layer's Matchbox data: one group per node selected by MAC, each pointing at the
 * node's own profile, so the request log proves a machine got *its* profile. The profile boots
 * the labos live image; its agent fetches /ignition and /metadata and reports back.
 */
export function renderLiveMatchboxData(lab: LabSpec): MatchboxData {
  const server = labModel(lab).bootServerUrl;
  const groups: Group[] = [];
  const profiles: Profile[] = [];
  const ignition: MatchboxData['ignition'] = [];
  for (const node of lab.nodes) {
    const ign = `${liveProfileId(node)}.ign`;
    groups.push({
      id: liveGroupId(node),
      name: `${lab.id} ${node.name} (live)`,
      profile: liveProfileId(node),
      selector: { mac: node.mac },
      metadata: { lab: lab.id, node: node.name, role: node.role, ip: node.ip, fqdn: `${node.name}.${lab.network.domain}` },
    });
    profiles.push({
      id: liveProfileId(node),
      name: `labos live for ${node.name}`,
      boot: {
        kernel: `/assets/${LIVE_ASSET_DIR}/vmlinuz`,
        initrd: [`/assets/${LIVE_ASSET_DIR}/initrd.img`],
        // ${mac:hexhyp} is expanded by iPXE; initrd= lets an EFI-stub kernel find its initrd.
        args: ['initrd=initrd.img', 'console=ttyS0,115200', 'quiet', ...GUEST_KERNEL_ARGS, `metal.server=${server}`, 'metal.mac=${mac:hexhyp}', `metal.lab=${lab.id}`],
      },
      ignition_id: ign,
    });
    ignition.push({
      name: ign,
      config: {
        ignition: { version: '3.3.0' },
        storage: { files: [{ path: '/etc/hostname', mode: 0o644, contents: { source: `data:,${node.name}` } }] },
      },
    });
  }
  return { groups, profiles, ignition };
}
