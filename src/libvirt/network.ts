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
