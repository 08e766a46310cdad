import ipaddr from 'ipaddr.js';

/** IPv4 address math for lab subnets, on top of ipaddr.js. Addresses as uint32 make ranges trivial. */

export function isIPv4(text: string): boolean {
  return ipaddr.IPv4.isValidFourPartDecimal(text);
}

export function ipToInt(ip: string): number {
  return ipaddr.IPv4.parse(ip).octets.reduce((n, octet) => n * 256 + octet, 0);
}

export function intToIp(n: number): string {
  return ipaddr.fromByteArray([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]).toString();
}

/** Two CIDRs overlap when either contains the other's network address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const [addrA, prefixA] = ipaddr.IPv4.parseCIDR(a);
  const [addrB, prefixB] = ipaddr.IPv4.parseCIDR(b);
  return addrA.match(addrB, Math.min(prefixA, prefixB));
}

/** A parsed IPv4 subnet: its network, broadcast and first host (the lab's gateway). */
export class Subnet {
  readonly network: number;
  readonly broadcast: number;

  constructor(
    networkAddress: string,
    readonly prefix: number,
  ) {
    this.network = ipToInt(networkAddress);
    this.broadcast = this.network + 2 ** (32 - prefix) - 1;
  }

  get cidr(): string {
    return `${intToIp(this.network)}/${this.prefix}`;
  }

  get gateway(): string {
    return intToIp(this.network + 1);
  }

  contains(ip: string): boolean {
    const n = ipToInt(ip);
    return n >= this.network && n <= this.broadcast;
  }

  isNetworkOrBroadcast(ip: string): boolean {
    const n = ipToInt(ip);
    return n === this.network || n === this.broadcast;
  }

  /** `.50-.99` as the 2018 Matchbox setup used; subnets too small for that get their upper half. */
  defaultDhcpRange(): { start: string; end: string } {
    if (this.network + 99 < this.broadcast) {
      return { start: intToIp(this.network + 50), end: intToIp(this.network + 99) };
    }
    const size = this.broadcast - this.network + 1;
    return { start: intToIp(this.network + size / 2), end: intToIp(this.broadcast - 1) };
  }

  /** The first host address (after the gateway) not in `taken` and not in [lo, hi]. */
  firstFreeHost(taken: ReadonlySet<string>, range: { start: string; end: string }): string | undefined {
    const lo = ipToInt(range.start);
    const hi = ipToInt(range.end);
    for (let n = this.network + 2; n < this.broadcast; n++) {
      if ((n < lo || n > hi) && !taken.has(intToIp(n))) return intToIp(n);
    }
    return undefined;
  }
}

/** Inclusive range membership, by numeric value. */
export function inRange(ip: string, range: { start: string; end: string }): boolean {
  const n = ipToInt(ip);
  return n >= ipToInt(range.start) && n <= ipToInt(range.end);
}
