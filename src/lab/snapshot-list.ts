import fs from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import type { HostLayout } from '../ground/host-layout.js';
import { existingSnapshotDir, readSnapshot, snapshotNames } from './snapshot-manifest.js';

/** One line of `snapshot list`: a snapshot that reads, or one that does not and why. */
export interface SnapshotSummary {
  lab: string;
  name: string;
  createdAt?: string;
  boot?: string;
  nodes?: number;
  bytes?: number;
  /** Its inputs key (see lab-inputs.ts). */
  key?: string;
  problem?: string;
}

/** Ids of labs that have snapshots on this host, up or not. */
async function labsWithSnapshots(host: HostLayout): Promise<string[]> {
  return (await fs.readdir(path.dirname(host.snapshots('-')), { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

/** A lab's snapshots, or every lab's; a corrupt one is listed with its problem, so it can be removed. */
export async function listSnapshots(host: HostLayout, id?: string): Promise<SnapshotSummary[]> {
  const ids = id ? [id] : await labsWithSnapshots(host);
  const perLab = await Promise.all(ids.map(async (lab) => Promise.all((await snapshotNames(host, lab)).map(async (name): Promise<SnapshotSummary> => {
    try {
      const m = await readSnapshot(host, lab, name);
      const bytes = Object.values(m.files).reduce((sum, f) => sum + f.size, 0);
      return { lab, name, createdAt: m.createdAt, boot: m.inputs.boot, nodes: m.nodes.length, bytes, key: m.key };
    } catch (err) {
      if (err instanceof LabError) return { lab, name, problem: err.message };
      throw err;
    }
  }))));
  return perLab.flat();
}

/** Removes one snapshot, whole or corrupt, and the lab's snapshot dir with the last one. */
export async function removeSnapshot(host: HostLayout, id: string, name: string): Promise<void> {
  await fs.rm(await existingSnapshotDir(host, id, name), { recursive: true, force: true });
  await fs.rmdir(host.snapshots(id)).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
  });
}
