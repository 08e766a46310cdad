import fs from 'node:fs/promises';
import { labObjectNames } from '../ground/lab-spec.js';
import { hostLayout, type HostLayout } from '../ground/host-layout.js';
import { domainLabId, listDomains, removeDomain } from '../libvirt/domain.js';
import { networkLabId, removeNetwork } from '../libvirt/network.js';
import { poolPath, removePool } from '../libvirt/pool.js';
import { processesMentioning, terminate } from '../ground/processes.js';
import { findNftTable, removeNftTable } from './nft-table.js';

/** Everything on this host that carries a lab's id. */
export interface LabObjects {
  domains: string[];
  network?: string;
  pool?: string;
  /** The nftables table (bridge family) of the lab's partition steps. */
  nftTable?: string;
  /** Processes started for the lab (the boot server): they name its state dir. */
  pids: number[];
  stateDir?: string;
}

/**
 * Finds a lab's objects from names, libvirt metadata and /proc, never from a state file, so
 * a crashed or killed `up` leaves nothing `down` cannot see. A domain or network counts only
 * when its metadata names this lab, a pool only when it holds the lab's disk dir, an nft table
 * by its exact name: objects the lab did not create are never touched.
 */
export async function findLabObjects(id: string, host: HostLayout = hostLayout()): Promise<LabObjects> {
  const names = labObjectNames({ id, nodes: [] });
  const p = host.lab(id);
  const [domains, networkOwner, poolDir, nftTable, pids, stateDir] = await Promise.all([
    listDomains(),
    networkLabId(names.network),
    poolPath(names.pool),
    findNftTable(id),
    processesMentioning(`${p.root}/`),
    fs.stat(p.root).then(() => p.root, () => undefined),
  ]);
  const candidates = domains.filter((d) => d.name.startsWith(`${names.prefix}-`));
  const owners = await Promise.all(candidates.map((d) => domainLabId(d.name)));
  return {
    domains: candidates.filter((_, i) => owners[i] === id).map((d) => d.name),
    network: networkOwner === id ? names.network : undefined,
    pool: poolDir === p.disks ? names.pool : undefined,
    nftTable,
    pids,
    stateDir,
  };
}

export function isEmpty(o: LabObjects): boolean {
  return o.domains.length === 0 && !o.network && !o.pool && !o.nftTable && o.pids.length === 0 && !o.stateDir;
}

/**
 * Removes everything carrying the lab id and nothing else; returns what it removed. Its
 * snapshots (outside the state dir) stay unless `purge`: they are what a workshop resumes from.
 */
export async function down(id: string, host: HostLayout = hostLayout(), opts: { purge?: boolean } = {}): Promise<LabObjects & { snapshots: string[] }> {
  const found = await findLabObjects(id, host);
  await Promise.all(found.domains.map(removeDomain));
  if (found.network) await removeNetwork(found.network);
  if (found.pool) await removePool(found.pool);
  if (found.nftTable) await removeNftTable(found.nftTable);
  await terminate(found.pids);
  if (found.stateDir) await fs.rm(found.stateDir, { recursive: true, force: true });
  const snapshots = await fs.readdir(host.snapshots(id)).catch(() => []);
  if (opts.purge) await fs.rm(host.snapshots(id), { recursive: true, force: true });
  return { ...found, snapshots };
}
