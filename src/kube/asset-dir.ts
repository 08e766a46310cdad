import fs from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { LabError } from '../errors.js';
import type { ApiObject } from './client.js';

/** A dir of rendered files as `up` wrote it (bootkube's asset dir, the update operator's manifests), read back. */

const NO_BOOTKUBE = (dir: string) => new LabError(`no bootkube asset dir at ${dir}`, 'bring the lab up with --boot install: `up` renders it for a Kubernetes lab');

/** Every file under `dir` as relative path -> text, in path order; a missing dir is `missing`'s error. */
export async function readAssetDir(dir: string, missing = NO_BOOTKUBE): Promise<Map<string, string>> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw missing(dir);
    throw err;
  });
  const files = entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
  return new Map(await Promise.all(files.sort().map(async (rel) => [rel, await fs.readFile(path.join(dir, rel), 'utf8')] as const)));
}

/** The files under `prefix` (bootkube's manifests/ by default), in file name order (the render prefixes names with a creation rank), every YAML document. */
export function manifestObjects(assets: ReadonlyMap<string, string>, prefix = 'manifests/'): ApiObject[] {
  const files = [...assets.keys()].filter((k) => k.startsWith(prefix)).sort();
  return files.flatMap((file) =>
    parseAllDocuments(assets.get(file)!).flatMap((doc) => {
      if (doc.errors.length) throw new LabError(`${file}: ${doc.errors[0]!.message}`, 'render the assets again');
      const obj = doc.toJS() as ApiObject | null;
      if (!obj) return [];
      if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) throw new LabError(`${file}: an object lacks apiVersion, kind or metadata.name`, 'render the assets again');
      return [obj];
    }),
  );
}
