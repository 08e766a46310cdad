import { readFile } from 'node:fs/promises';
import { HostError } from '../errors.js';
import type { NodeSpec } from '../ground/lab-spec.js';

/** MemAvailable: what the host can give its VMs without swapping, the page cache counted as free. */
export async function availableMemoryMiB(meminfo = '/proc/meminfo'): Promise<number> {
  const kib = /^MemAvailable:\s+(\d+) kB$/m.exec(await readFile(meminfo, 'utf8'))?.[1];
  if (kib === undefined) throw new HostError(`${meminfo} has no MemAvailable line`, 'run on Linux 3.14 or later');
  return Math.floor(Number(kib) / 1024);
}

const gib = (mib: number) => `${(mib / 1024).toFixed(1)} GiB`;

/**
 * The nodes' memory must fit in what the host has free: guests that boot touch most of theirs, and
 * a host short of it swaps or kills them. `perGuestMiB` is what each QEMU holds beyond its guest.
 */
export function checkMemoryFits(nodes: readonly NodeSpec[], availableMiB: number, perGuestMiB = 0): void {
  const total = nodes.reduce((sum, n) => sum + n.memoryMiB + perGuestMiB, 0);
  if (total <= availableMiB) return;
  const biggest = nodes.reduce((a, b) => (b.memoryMiB > a.memoryMiB ? b : a));
  const alone = biggest.memoryMiB > availableMiB ? `, ${biggest.name} alone ${gib(biggest.memoryMiB)}` : '';
  throw new HostError(
    `the ${nodes.length} nodes need ${gib(total)} of memory together${perGuestMiB ? ` (QEMU's own ${perGuestMiB} MiB each included)` : ''}${alone}, and this host has ${gib(availableMiB)} available`,
    'give the nodes less memory (defaults.memory, or a node\'s memory), use fewer nodes, or free memory on the host',
  );
}
