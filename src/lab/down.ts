import fs from 'node:fs/promises';
import { labObjectNames } from '../spec/types.js';
import { labPaths } from './paths.js';
import { domainLabId, listDomains, removeDomain } from '../libvirt/domain.js';
import { removeNetwork } from '../libvirt/network.js';
import { removePool } from '../libvirt/pool.js';
import { processesMentioning, terminate } from './processes.js';

export interface DownResult {
  domains: string[];
  network: boolean;
  pool: boolean;
  processes: number;
  stateDir: boolean;
}

/**
 * Removes everything carrying the lab id and nothing else. It works from names, libvirt metadata
 * and /proc, not from a state file, so it also cleans up after a crashed or killed `up`.
 */
export async function down(id: string): Promise<DownResult> {
  const names = labObjectNames({ id, nodes: [] });
  const p = labPaths(id);
  const candidates = (await listDomains()).filter((d) => d.name.startsWith(`${names.prefix}-`));
  const ours = (
    await Promise.all(candidates.map(async (d) => ((await domainLabId(d.name)) === id ? d.name : undefined)))
  ).filter((n): n is string => n !== undefined);
  await Promise.all(ours.map(removeDomain));
  const network = await removeNetwork(names.network);
  const pool = await removePool(names.pool);
  // The boot server and anything else started for the lab name its state dir on the command line.
  const pids = await processesMentioning(p.root + '/');
  await terminate(pids);
  const stateDir = await fs.stat(p.root).then(() => true, () => false);
  await fs.rm(p.root, { recursive: true, force: true });
  return { domains: ours, network, pool, processes: pids.length, stateDir };
}
