import { readFile } from 'node:fs/promises';
import os from 'node:os';
import ipaddr from 'ipaddr.js';
import { HostError } from '../errors.js';

/** A TCP socket in LISTEN state. IPv4-mapped IPv6 addresses are given in IPv4 form. */
export interface Listener {
  address: string;
  port: number;
}

const TCP_LISTEN = '0A';

/**
 * Parses /proc/net/tcp or /proc/net/tcp6. Addresses there are hex 32-bit words, each in the
 * kernel's byte order: `0100007F:1F90` is 127.0.0.1:8080 on a little-endian host.
 */
export function parseProcNetTcp(text: string, endianness: 'LE' | 'BE' = os.endianness()): Listener[] {
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols[3] === TCP_LISTEN && cols[1]?.includes(':'))
    .map((cols) => {
      const [hex, port] = cols[1]!.split(':') as [string, string];
      const bytes = (hex.match(/.{8}/g) ?? []).flatMap((word) => {
        const b = word.match(/../g)!.map((h) => parseInt(h, 16));
        return endianness === 'LE' ? b.reverse() : b;
      });
      let addr = ipaddr.fromByteArray(bytes);
      if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
      return { address: addr.toString(), port: parseInt(port, 16) };
    });
}

export const PROC_NET_TCP = ['/proc/net/tcp', '/proc/net/tcp6'];

/** Every listening TCP socket on the host (a missing tcp6 file means no IPv6). */
export async function listeningSockets(files: readonly string[] = PROC_NET_TCP): Promise<Listener[]> {
  const texts = await Promise.all(files.map((f) => readFile(f, 'utf8').catch(() => '')));
  return texts.flatMap((t) => parseProcNetTcp(t));
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** Listeners that keep a server from binding `port` on `address` (or, with no address, on any). */
export function portConflicts(listeners: readonly Listener[], port: number, address?: string): Listener[] {
  return listeners.filter((l) => l.port === port && (WILDCARDS.has(l.address) || l.address === address));
}

/** The boot server binds `address:port`: nothing may listen there or on the wildcard address. */
export async function checkPortFree(port: number, address?: string, listeners?: readonly Listener[]): Promise<void> {
  const hit = portConflicts(listeners ?? (await listeningSockets()), port, address)[0];
  if (hit) {
    const where = hit.address.includes(':') ? `[${hit.address}]` : hit.address;
    throw new HostError(
      `port ${port}${address ? ` on ${address}` : ''} is in use: something listens on ${where}:${port}`,
      `stop it (ss -ltnp 'sport = :${port}' shows which process) or set bootServer.port in the lab file`,
    );
  }
}
