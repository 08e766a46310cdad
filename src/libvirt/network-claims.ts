/**
 * What libvirt's networks take of the host, started or not: their bridges and IPv4 subnets, which
 * a new lab network must not reuse. Apart from network.ts so that `status`, which reads networks
 * too, does not load ipaddr.js.
 */
import ipaddr from 'ipaddr.js';
import { virsh } from './virsh.js';

/** A network libvirt has defined, started or not, with what it takes of the host: a bridge name and IPv4 subnets. */
export interface NetworkDefinition {
  name: string;
  active: boolean;
  bridge?: string;
  subnets: string[];
}

/** Every network libvirt has defined: a stopped one claims its bridge and subnet for when it starts (default autostarts). */
export async function definedNetworks(): Promise<NetworkDefinition[]> {
  const names = async (which: string) => (await virsh(['net-list', which, '--name'])).stdout.split('\n').map((n) => n.trim()).filter(Boolean);
  const [all, inactive] = await Promise.all([names('--all'), names('--inactive')]);
  return Promise.all(
    all.map(async (name) => ({ name, active: !inactive.includes(name), ...networkClaims((await virsh(['net-dumpxml', '--inactive', name])).stdout) })),
  );
}

/** The bridge and the IPv4 subnets of a network's XML (`<ip address netmask|prefix>`, IPv6 left out). */
export function networkClaims(xml: string): { bridge?: string; subnets: string[] } {
  const attr = (tag: string, name: string) => new RegExp(`\\s${name}=["']([^"']*)["']`).exec(tag)?.[1];
  const bridgeTag = /<bridge\b[^>]*>/.exec(xml)?.[0];
  const subnets = (xml.match(/<ip\b[^>]*>/g) ?? []).flatMap((tag) => {
    const address = attr(tag, 'address');
    if (!address || !ipaddr.IPv4.isValidFourPartDecimal(address) || (attr(tag, 'family') ?? 'ipv4') !== 'ipv4') return [];
    const netmask = attr(tag, 'netmask');
    const prefix = netmask ? ipaddr.IPv4.parse(netmask).prefixLengthFromSubnetMask() : Number(attr(tag, 'prefix') ?? 32);
    return prefix === null ? [] : [`${ipaddr.IPv4.networkAddressFromCIDR(`${address}/${prefix}`).toString()}/${prefix}`];
  });
  const bridge = bridgeTag && attr(bridgeTag, 'name');
  return { ...(bridge ? { bridge } : {}), subnets };
}
