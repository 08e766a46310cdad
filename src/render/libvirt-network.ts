import { labObjectNames, type DnsHost, type LabSpec } from '../ground/lab-spec.js';
import { labModel } from '../ground/lab-model.js';
import { addLabMetadata, serialize, xmlRoot } from './libvirt-xml.js';

/** libvirt's namespace for passing raw options through to the network's dnsmasq. */
export const DNSMASQ_XMLNS = 'http://libvirt.org/schemas/network/dnsmasq/1.0';

/** iPXE builds a PXE ROM chainloads into; names as served from the TFTP root. */
export const BIOS_IPXE = 'undionly.kpxe';
export const UEFI_IPXE = 'ipxe.efi';

/** Debian's `ipxe` package files the apply step copies into the lab's TFTP root. */
export function tftpFiles(): Array<{ src: string; name: string }> {
  return [BIOS_IPXE, UEFI_IPXE].map((name) => ({ src: `/usr/lib/ipxe/${name}`, name }));
}

/** The URL iPXE is sent to once it runs: the embedded Matchbox's chain script. */
export function bootScriptUrl(lab: LabSpec): string {
  return `${labModel(lab).bootServerUrl}/boot.ipxe`;
}

/**
 * The iPXE user-class chain as dnsmasq options. libvirt already writes dhcp-no-override and
 * dhcp-authoritative for any network with DHCP, and option 93 identifies the firmware without
 * parsing vendor-class strings (no dhcp-vendorclass), so only the chain itself is added here.
 * dnsmasq answers with the last dhcp-boot line whose tags match; these three carry mutually
 * exclusive tag sets, so the answer never depends on their order.
 */
export function ipxeChainOptions(lab: LabSpec): string[] {
  return [
    // iPXE announces itself with DHCP user class (option 77) "iPXE".
    'dhcp-userclass=set:ipxe,iPXE',
    // Client architecture (option 93): 7 = EFI BC (what OVMF sends), 9 = EFI x86-64.
    'dhcp-match=set:efi64,option:client-arch,7',
    'dhcp-match=set:efi64,option:client-arch,9',
    // A firmware PXE ROM gets an iPXE build over TFTP; it then asks again as iPXE.
    `dhcp-boot=tag:!ipxe,tag:!efi64,${BIOS_IPXE}`,
    `dhcp-boot=tag:!ipxe,tag:efi64,${UEFI_IPXE}`,
    // iPXE itself goes straight to the boot server over HTTP.
    `dhcp-boot=tag:ipxe,${bootScriptUrl(lab)}`,
    // iPXE's encapsulated option 175, setting no-pxedhcp (sub-option 0xb0) to 1: there is no
    // ProxyDHCP server here, so iPXE need not wait seconds for one before taking the offer.
    'dhcp-option=tag:ipxe,175,b0:01:01',
  ];
}

/** DNS entries grouped by address, in first-seen order, names deduplicated. */
function hostsByIp(entries: DnsHost[]): Map<string, string[]> {
  const byIp = new Map<string, string[]>();
  for (const { name, ip } of entries) {
    const names = byIp.get(ip) ?? [];
    if (!names.includes(name)) names.push(name);
    byIp.set(ip, names);
  }
  return byIp;
}

/** fd6d:6574:616c ("metal") + the subnet's 2nd and 3rd octets: 172.19.0.0/24 -> fd6d:6574:616c:1300::1. */
export function labIpv6Gateway(lab: LabSpec): string {
  const [, b, c] = lab.network.subnet.split('.').map(Number) as [number, number, number];
  return `fd6d:6574:616c:${((b << 8) | c).toString(16)}::1`;
}

/**
 * The lab network: a bridge with libvirt's dnsmasq doing DNS for the lab domain, DHCP with one
 * reservation per node, TFTP for the iPXE binaries and the iPXE chain. Isolated unless the lab
 * asks for NAT.
 */
export function renderNetworkXml(lab: LabSpec, paths: { tftpRoot: string }): string {
  const net = lab.network;
  const root = xmlRoot('network', { 'xmlns:dnsmasq': DNSMASQ_XMLNS });
  root.ele('name').txt(labObjectNames(lab).network);
  addLabMetadata(root, lab);
  if (net.nat) root.ele('forward', { mode: 'nat' });
  // STP off: the lab bridge has no loops to break, and with STP on each new VM port spends the
  // kernel's minimum forward delay in listening and learning while iPXE holds its DHCP back:
  // about 4 s more per boot, measured here.
  root.ele('bridge', { name: net.bridge, stp: 'off', delay: '0' });
  // localOnly: queries for the lab domain are answered here or fail, never forwarded upstream.
  root.ele('domain', { name: net.domain, localOnly: 'yes' });

  const byIp = hostsByIp(lab.dns);
  if (byIp.size > 0) {
    const dns = root.ele('dns');
    for (const [ip, names] of byIp) {
      const host = dns.ele('host', { ip });
      for (const name of names) host.ele('hostname').txt(name);
    }
  }

  const ip = root.ele('ip', { address: net.gateway, prefix: String(net.prefix) });
  ip.ele('tftp', { root: paths.tftpRoot });
  const dhcp = ip.ele('dhcp');
  dhcp.ele('range', { start: net.dhcpRange.start, end: net.dhcpRange.end });
  for (const node of lab.nodes) {
    // 1h as in the reference setup's dhcp-host lines: the address is reserved anyway, so the lease
    // only bounds how long a destroyed node's entry lingers in libvirt's lease list.
    dhcp.ele('host', { mac: node.mac, ip: node.ip, name: node.name }).ele('lease', { expiry: '1', unit: 'hours' });
  }

  // iPXE configures IPv6 beside DHCPv4 and waits for both: with no router advertisement on the
  // bridge it sends router solicitations for ~13 s before it fetches anything. An IPv6 prefix
  // makes libvirt's dnsmasq advertise one, and iPXE goes on at once. The prefix is a ULA derived
  // from the IPv4 subnet, so labs side by side get distinct ones; nothing is routed.
  root.ele('ip', { family: 'ipv6', address: labIpv6Gateway(lab), prefix: '64' });

  const options = root.ele(DNSMASQ_XMLNS, 'dnsmasq:options');
  for (const value of ipxeChainOptions(lab)) options.ele(DNSMASQ_XMLNS, 'dnsmasq:option', { value });
  return serialize(root);
}
