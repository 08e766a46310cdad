import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { virsh } from './virsh.js';

/** Writing or reading a guest's memory under TCG on a loaded host takes minutes, not virsh's usual minute. */
const MEMORY_TIMEOUT_MS = 15 * 60_000;

/** Stops a domain's vCPUs, so several are saved at one instant of the lab's time. */
export async function suspendDomain(name: string): Promise<void> {
  await virsh(['suspend', name]);
}

/** Lets a suspended domain run on (a save that failed before it reached the domain). */
export async function resumeDomain(name: string): Promise<void> {
  await virsh(['resume', name]);
}

/** Writes a domain's memory and definition to `file`; the domain is shut off afterwards, still defined. */
export async function saveDomain(name: string, file: string): Promise<void> {
  await virsh(['save', name, file], { timeoutMs: MEMORY_TIMEOUT_MS });
}

/**
 * Runs a domain again from a file `saveDomain` wrote. It is defined from the file's own XML
 * first: restored undefined, it would be transient, which `down` cannot undefine. Its vCPUs run
 * at once, even when it was saved paused.
 */
export async function restoreDomain(file: string): Promise<void> {
  const xml = (await virsh(['save-image-dumpxml', file])).stdout;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'metal-lab-restore-'));
  try {
    await fs.writeFile(path.join(dir, 'domain.xml'), xml);
    await virsh(['define', path.join(dir, 'domain.xml')]);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  await virsh(['restore', file, '--running'], { timeoutMs: MEMORY_TIMEOUT_MS });
}

/** Makes a pool see volumes put into its directory by other means than virsh. */
export async function refreshPool(name: string): Promise<void> {
  await virsh(['pool-refresh', name]);
}
