import type { NodeSpec } from '../spec/types.js';
import type { CheckName } from '../spec/scenario.js';
import { labObjectNames } from '../spec/types.js';
import { dhcpLeases } from '../libvirt/network.js';
import { liveGroupId, liveProfileId } from '../render/matchbox-live.js';
import { labPaths } from '../lab/paths.js';
import { consoleOf, nodeEvidence, requestsOf, type ScenarioContext } from './context.js';
import { EvidenceError } from './evidence.js';

/** A per-node assertion: resolves to a short finding, or throws an EvidenceError. */
type NodeCheck = (ctx: ScenarioContext, node: NodeSpec) => Promise<string>;

export const USERSPACE_MARKER = 'metal-lab: reached userspace';

async function fail(ctx: ScenarioContext, node: NodeSpec, message: string, extra: string[] = []): Promise<never> {
  throw new EvidenceError(message, [...extra, ...(await nodeEvidence(ctx, node))]);
}

export const CHECKS = {
  /** The node holds a dnsmasq lease for its reserved IP. */
  'dhcp-lease': async (ctx, node) => {
    const leases = await dhcpLeases(labObjectNames(ctx.lab).network);
    const lease = leases.find((l) => l.mac === node.mac);
    if (!lease) return fail(ctx, node, `no DHCP lease for ${node.mac} (leases: ${leases.map((l) => `${l.mac}=${l.ip}`).join(', ') || 'none'})`);
    if (lease.ip !== node.ip) return fail(ctx, node, `leased ${lease.ip}, but ${node.ip} is reserved for ${node.mac}`);
    return `lease ${lease.ip}`;
  },

  /** /boot.ipxe, then /ipxe with the node's own MAC answered from its own group and profile, then the kernel and initrd. */
  'boot-chain': async (ctx, node) => {
    const reqs = await requestsOf(ctx, node);
    const chain = reqs.findIndex((e) => e.path === '/boot.ipxe' && e.status === 200);
    if (chain < 0) return fail(ctx, node, `no /boot.ipxe request from ${node.ip}`);
    const ipxe = reqs.findIndex((e, i) => i > chain && e.path === '/ipxe' && e.labels?.mac === node.mac);
    if (ipxe < 0) return fail(ctx, node, `no /ipxe request with mac=${node.mac} after /boot.ipxe`);
    const got = reqs[ipxe]!;
    if (got.status !== 200 || got.group !== liveGroupId(node) || got.profile !== liveProfileId(node)) {
      return fail(ctx, node, `/ipxe answered ${got.status} from group ${got.group ?? '-'} profile ${got.profile ?? '-'}, expected ${liveGroupId(node)}/${liveProfileId(node)}`);
    }
    const assets = reqs.slice(ipxe).filter((e) => e.path.startsWith('/assets/') && e.status === 200).map((e) => e.path.split('/').pop());
    for (const want of ['vmlinuz', 'initrd.img']) {
      if (!assets.includes(want)) return fail(ctx, node, `the ${want} asset was not fetched after /ipxe`);
    }
    return `/boot.ipxe -> /ipxe (profile ${got.profile}) -> vmlinuz, initrd.img`;
  },

  /** The kernel booted and the agent ran: console marker, Ignition fetched, callback received. */
  userspace: async (ctx, node) => {
    const consoleLog = await consoleOf(ctx, node);
    if (!consoleLog.includes(`${USERSPACE_MARKER} mac=${node.mac}`)) {
      return fail(ctx, node, `the console shows no "${USERSPACE_MARKER}" marker`);
    }
    const reqs = await requestsOf(ctx, node);
    if (!reqs.some((e) => e.path === '/ignition' && e.status === 200 && e.labels?.mac === node.mac)) {
      return fail(ctx, node, 'the node never fetched its Ignition config');
    }
    const callback = reqs.find((e) => e.path === '/lab/event' && e.labels?.stage === 'userspace');
    if (!callback) return fail(ctx, node, 'no userspace callback reached the boot server', [labPaths(ctx.lab.id).requestLog]);
    return `console marker + callback at ${callback.time}`;
  },
} satisfies Record<CheckName, NodeCheck>;
