import { access } from 'node:fs/promises';
import path from 'node:path';
import { HostError } from '../errors.js';
import { cidrsOverlap } from '../ground/ipv4.js';
import type { NetworkDefinition } from '../libvirt/network-claims.js';
import { runCommand } from '../toolkit/command-error.js';

/** An IPv4 prefix the host already routes or owns. */
export interface HostPrefix {
  cidr: string;
  dev: string;
  kind: 'route' | 'address';
}

/** Every IPv4 route (all tables: the local table holds 127.0.0.0/8) and address on the host. */
export async function hostPrefixes(): Promise<HostPrefix[]> {
  const ip = async (args: string[]) => JSON.parse((await runCommand(['ip', '-j', '-4', ...args])).stdout || '[]') as unknown;
  return [
    ...routesToPrefixes(await ip(['route', 'show', 'table', 'all'])),
    ...addressesToPrefixes(await ip(['addr', 'show'])),
  ];
}

/** From `ip -j -4 route`; the default route overlaps everything and conflicts with nothing. */
export function routesToPrefixes(routes: unknown): HostPrefix[] {
  return (routes as { dst?: string; dev?: string }[])
    .filter((r) => r.dst && r.dst !== 'default' && !r.dst.endsWith('/0'))
    .map((r) => ({ cidr: r.dst!.includes('/') ? r.dst! : `${r.dst}/32`, dev: r.dev ?? '?', kind: 'route' }));
}

/** From `ip -j -4 addr`. */
export function addressesToPrefixes(links: unknown): HostPrefix[] {
  return (links as { ifname: string; addr_info?: { family: string; local: string; prefixlen: number }[] }[]).flatMap(
    (link) =>
      (link.addr_info ?? [])
        .filter((a) => a.family === 'inet')
        .map((a) => ({ cidr: `${a.local}/${a.prefixlen}`, dev: link.ifname, kind: 'address' as const })),
  );
}

export function findOverlap(subnet: string, prefixes: readonly HostPrefix[]): HostPrefix | undefined {
  return prefixes.find((p) => cidrsOverlap(subnet, p.cidr));
}

/** The lab's subnet must be new to the host, or its traffic would go (or come from) elsewhere. */
export async function checkSubnetFree(subnet: string, prefixes?: readonly HostPrefix[]): Promise<void> {
  const hit = findOverlap(subnet, prefixes ?? (await hostPrefixes()));
  if (hit) {
    throw new HostError(
      `the lab subnet ${subnet} overlaps ${hit.kind} ${hit.cidr} on ${hit.dev}, already on this host`,
      `choose another network.subnet in the lab file (or remove what owns ${hit.dev} if it is a leftover)`,
    );
  }
}

/**
 * libvirt would refuse to create the bridge, or worse, attach the lab to someone else's. Only a
 * bridge can be what a crashed run left: any other interface (lo, eth0) is the host's own.
 */
export async function checkInterfaceFree(name: string, sysClassNet = '/sys/class/net'): Promise<void> {
  const exists = (file: string) => access(path.join(sysClassNet, file)).then(() => true, () => false);
  if (!(await exists(name))) return;
  const leftover = (await exists(path.join(name, 'bridge'))) ? ` (or, if a crashed run left it: ip link del ${name})` : `: ${name} is one of the host's own interfaces, not a bridge`;
  throw new HostError(`a network interface named ${name} already exists on this host`, `choose another network.bridge in the lab file${leftover}`);
}

const networkState = (n: NetworkDefinition) => (n.active ? 'running' : 'defined but not started');

/**
 * Another libvirt network's bridge: libvirt refuses a second network on it, and a stopped one
 * would clash once it starts (`default` autostarts on the host's next boot).
 */
export function checkBridgeUnclaimed(bridge: string, networks: readonly NetworkDefinition[]): void {
  const owner = networks.find((n) => n.bridge === bridge);
  if (owner) {
    throw new HostError(
      `${bridge} is the bridge of libvirt network ${owner.name} (${networkState(owner)})`,
      `choose another network.bridge in the lab file (or remove that network if it is a leftover: virsh net-undefine ${owner.name})`,
    );
  }
}

/** Another libvirt network's subnet, running or not: its routes and dnsmasq would answer for the lab's addresses. */
export function checkSubnetUnclaimed(subnet: string, networks: readonly NetworkDefinition[]): void {
  for (const n of networks) {
    const hit = n.subnets.find((cidr) => cidrsOverlap(subnet, cidr));
    if (hit) {
      throw new HostError(
        `the lab subnet ${subnet} overlaps ${hit} of libvirt network ${n.name} (${networkState(n)})`,
        `choose another network.subnet in the lab file (or remove that network if it is a leftover: virsh net-undefine ${n.name})`,
      );
    }
  }
}
