import fs from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../../errors.js';
import { assetDirMode, assetMode } from '../../ground/bootkube-layout.js';

/** Writes a rendered asset dir with the modes its contents call for. */

/** A render goes into a new or empty dir only: mixing two renders would leave files of the old one behind. */
export async function assertEmptyDir(dir: string): Promise<void> {
  const existing = await fs.readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    if (err.code === 'ENOTDIR') throw new LabError(`${dir} is a file, not a dir`, 'pass a new or empty dir', 2);
    throw err;
  });
  if (existing.length > 0) throw new LabError(`${dir} is not empty`, `pass a new or empty dir, or remove ${dir} first`, 2);
}

/** Every dir the assets sit in, parents first. */
export function assetDirs(assets: ReadonlyMap<string, string>): string[] {
  const dirs = new Set<string>();
  for (const rel of assets.keys()) {
    for (let d = path.posix.dirname(rel); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
  }
  return [...dirs].sort();
}

export async function writeAssetDir(dir: string, assets: Map<string, string>): Promise<void> {
  await assertEmptyDir(dir);
  await fs.mkdir(dir, { recursive: true });
  // chmod after mkdir because the umask trims mkdir's mode.
  for (const rel of assetDirs(assets)) {
    const abs = path.join(dir, rel);
    await fs.mkdir(abs);
    await fs.chmod(abs, assetDirMode(rel));
  }
  for (const [rel, text] of assets) {
    const abs = path.join(dir, rel);
    await fs.writeFile(abs, text, { mode: assetMode(rel) });
    await fs.chmod(abs, assetMode(rel));
  }
}
