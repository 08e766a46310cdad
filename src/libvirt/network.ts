import ipaddr from 'ipaddr.js';
import { virsh } from './virsh.js';
import { tableRows } from './table.js';
import { labIdFromXml } from './metadata.js';

export interface NetworkInfo {
  name: string;
  active: boolean;
  bridge: string;
}

export async function networkInfo(name: string): Promise<NetworkInfo | undefined> {
  const r = await virsh(['net-info', name], { check: false });
  return r.exitCode === 0 ? parseNetworkInfo(name, r.stdout) : undefined;
}

/** `virsh net-info`'s fields; no output (no such network) is undefined. */
export function parseNetworkInfo(name: string, stdout: string): NetworkInfo | undefined {
  if (!stdout.trim()) return undefined;
  const field = (key: string) => new RegExp(`^${key}:\\s+(.*)$`, 'm').exec(stdout)?.[1]?.trim() ?? '';
  return { name, active: field('Active') === 'yes', bridge: field('Bridge') };
}

/** Defines (from XML) and starts a network; a no-op for the parts that already hold. */
export async function ensureNetwork(name: string, xmlFile: string): Promise<'created' | 'started' | 'unchanged'> {
  const info = await networkInfo(name);
  if (!info) await virsh(['net-define', xmlFile]);
  if (!info?.active) await virsh(['net-start', name]);
  return !info ? 'created' : info.active ? 'unchanged' : 'started';
}

export async function removeNetwork(name: string): Promise<boolean> {
  const info = await networkInfo(name);
  if (!info) return false;
  if (info.active) await virsh(['net-destroy', name]);
  await virsh(['net-undefine', name]);
  return true;
}

/** The lab id a network was tagged with at define time, or undefined if it is not a lab's. */
export async function networkLabId(name: string): Promise<string | undefined> {
  // libvirt 9.0 has no net-metadata command yet, so read the element from the definition.
  const r = await virsh(['net-dumpxml', '--inactive', name], { check: false });
  if (r.exitCode !== 0) return undefined;
  return labIdFromXml(r.stdout);
}

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

export interface Lease {
  mac: string;
  ip: string;
  hostname?: string;
  expiry: string;
}

/** The network's current DHCP leases, as libvirt's dnsmasq reports them. */
export async function dhcpLeases(network: string): Promise<Lease[]> {
  return parseLeases((await virsh(['net-dhcp-leases', network])).stdout);
}

/** Rows of `virsh net-dhcp-leases`: date, time, MAC, protocol, IP/prefix, hostname, client id. */
export function parseLeases(stdout: string): Lease[] {
  return tableRows(stdout)
    .filter((c) => c[3] === 'ipv4' && c.length >= 5)
    .map(([date, time, mac, , ipPrefix, hostname]) => ({
      mac: mac!.toLowerCase(),
      ip: ipPrefix!.split('/')[0]!,
      hostname: hostname && hostname !== '-' ? hostname : undefined,
      expiry: `${date} ${time}`,
    }));
}
