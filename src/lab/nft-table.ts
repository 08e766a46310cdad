import { HostError } from '../errors.js';
import { labObjectNames } from '../ground/lab-spec.js';
import { runCommand } from '../toolkit/command-error.js';

/**
 * nft by its path: under npm (npm test, npx) node_modules/.bin comes first on PATH, and ava's
 * @vercel/nft has a command of that name there.
 */
export const NFT = '/usr/sbin/nft';

/** The nftables table (bridge family) a lab's partition steps install: named like its libvirt objects. */
export const labNftTable = (id: string): string => labObjectNames({ id, nodes: [] }).prefix;

/**
 * The lab's nftables table, if there is one. Without nft, or without root (nft can neither list
 * nor make tables then), no partition step can have made it.
 */
export async function findNftTable(id: string): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const name = labNftTable(id);
  const listed = await runCommand([NFT, 'list', 'tables', 'bridge'], { timeoutMs: 30_000 }).catch((err: unknown) => {
    if (err instanceof HostError) return undefined;
    throw err;
  });
  return listed?.stdout.split('\n').some((l) => l.trim() === `table bridge ${name}`) ? name : undefined;
}

export async function removeNftTable(name: string): Promise<void> {
  await runCommand([NFT, 'delete', 'table', 'bridge', name], { timeoutMs: 30_000 });
}
