import fs from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';

/** bootkube's asset dir as `up` wrote it, read back as relative path -> text for the pivot. */
export async function readAssetDir(dir: string): Promise<Map<string, string>> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new LabError(`no bootkube asset dir at ${dir}`, 'bring the lab up with --boot install: `up` renders it for a Kubernetes lab');
    throw err;
  });
  const files = entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
  return new Map(await Promise.all(files.sort().map(async (rel) => [rel, await fs.readFile(path.join(dir, rel), 'utf8')] as const)));
}
