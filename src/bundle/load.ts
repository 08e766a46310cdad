import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { METAL_LAB_VERSION } from '../ground/version.js';
import { digestStream, readArchive, type ReadEntry } from './archive.js';
import { ANSWERS, BUNDLE_FORMAT, bundleSources, HEADER, loadedBundle, MANIFEST, TREES, type BundleHeader, type BundleManifest, type EntryRecord } from '../ground/bundle-layout.js';

/**
 * `bundle load`: reads the archive through once to check it (the version first, then every entry
 * against the manifest that closes it) before writing anything, then unpacks it into a scratch
 * dir in the cache root and moves each part into place: cache entries this host lacks, and the
 * bundle's apt repository, npm cache and apt answers as the loaded bundle.
 */

const REFETCH = 'copy the bundle again from where it was made (its size and sha256sum must match there), or make it again with metal-lab bundle create';

const bad = (file: string, why: string) => new LabError(`${file} is not a complete metal-lab bundle: ${why}`, REFETCH, 2);

async function readJson<T>(e: ReadEntry): Promise<T> {
  const chunks: Buffer[] = [];
  for await (const c of e.stream) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}

function checkHeader(file: string, h: BundleHeader): void {
  if (h.format !== BUNDLE_FORMAT) throw bad(file, `its format is ${String(h.format)}, not ${BUNDLE_FORMAT}`);
  if (h.metalLab !== METAL_LAB_VERSION) {
    throw new LabError(`${file} was made by metal-lab ${h.metalLab}; this is ${METAL_LAB_VERSION}`, `make the bundle with this checkout: ./metal-lab bundle create FILE (or check out ${h.metalLab} to load this one)`, 2);
  }
}

const sameRecord = (a: EntryRecord | undefined, b: EntryRecord) => JSON.stringify(a) === JSON.stringify(b);

/** Pass one: every entry read and hashed, nothing written; throws the one line that says what is wrong. */
async function verify(file: string): Promise<BundleManifest> {
  const seen = new Map<string, EntryRecord>();
  let manifest: BundleManifest | undefined;
  let first = true;
  try {
    await readArchive(file, async (e) => {
      if (first) {
        first = false;
        if (e.name !== HEADER) throw bad(file, `it starts with ${e.name}, not ${HEADER}`);
        checkHeader(file, await readJson<BundleHeader>(e));
        return;
      }
      if (manifest) throw bad(file, `${e.name} follows the manifest`);
      if (e.name === MANIFEST) manifest = await readJson<BundleManifest>(e);
      else if (e.type === 'file') seen.set(e.name, await digestStream(e.stream));
      else if (e.type === 'directory') seen.set(e.name, { directory: true });
      else if (e.type === 'symlink') seen.set(e.name, { symlink: e.target ?? '' });
      else throw bad(file, `it holds ${e.name}, a ${e.type} entry`);
    });
  } catch (err) {
    if (err instanceof LabError) throw err;
    // gunzip's "unexpected end of file" is a truncated copy; a tar or zlib error, a damaged one.
    throw bad(file, (err as Error).message);
  }
  if (first) throw bad(file, 'it is empty');
  if (!manifest) throw bad(file, `it ends before its ${MANIFEST}: it was cut short`);
  for (const [name, record] of Object.entries(manifest.entries)) {
    if (!sameRecord(seen.get(name), record)) throw bad(file, seen.has(name) ? `${name} does not match the manifest's sha256` : `${name} is missing`);
  }
  const extra = [...seen.keys()].find((name) => !(name in manifest!.entries));
  if (extra) throw bad(file, `${extra} is not in the manifest`);
  return manifest;
}

/** Where an archive entry goes in the scratch dir; names that climb out of it are refused. */
function inside(root: string, name: string): string {
  const target = path.resolve(root, name);
  if (!target.startsWith(`${root}${path.sep}`)) throw new Error(`bundle entry ${name} points outside ${root}`);
  return target;
}

/** Pass two: the entries written into `scratch`, each file checked again as it is written. */
async function unpack(file: string, scratch: string, manifest: BundleManifest): Promise<void> {
  await readArchive(file, async (e) => {
    if (e.name === HEADER || e.name === MANIFEST) return;
    const target = inside(scratch, e.name);
    await mkdir(path.dirname(target), { recursive: true });
    if (e.type === 'directory') await mkdir(target, { recursive: true, mode: e.mode });
    else if (e.type === 'symlink') await symlink(e.target ?? '', target);
    else {
      const written = await digestStream(e.stream, createWriteStream(target, { mode: e.mode }));
      if (!sameRecord(written, manifest.entries[e.name]!)) throw bad(file, `${e.name} changed while it was loaded`);
    }
  });
}

export interface LoadResult {
  manifest: BundleManifest;
  /** Cache entries moved into place, and those this host had already. */
  added: string[];
  had: string[];
}

export async function loadBundle(file: string, cacheRoot: string): Promise<LoadResult> {
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) throw new LabError(`no bundle at ${file}`, 'name the file metal-lab bundle create wrote', 2);
  const manifest = await verify(file);

  await mkdir(cacheRoot, { recursive: true });
  const scratch = await mkdtemp(path.join(cacheRoot, '.bundle-load-'));
  try {
    await unpack(file, scratch, manifest);
    const added: string[] = [];
    const had: string[] = [];
    for (const rel of manifest.cacheEntries) {
      const target = inside(cacheRoot, rel);
      // Same key, same inputs: an entry this host built or loaded before is kept.
      if (await stat(target).catch(() => undefined)) {
        had.push(rel);
        continue;
      }
      await mkdir(path.dirname(target), { recursive: true });
      await rename(path.join(scratch, TREES.cache, rel), target);
      added.push(rel);
    }
    const bundle = loadedBundle(cacheRoot);
    const staged = path.join(scratch, 'loaded');
    await mkdir(staged);
    await rename(path.join(scratch, TREES.apt), path.join(staged, TREES.apt));
    await rename(path.join(scratch, TREES.npm), path.join(staged, TREES.npm));
    await rename(path.join(scratch, ANSWERS), path.join(staged, ANSWERS));
    await writeFile(path.join(staged, path.basename(bundle.sourcesList)), bundleSources(bundle.apt));
    await mkdir(path.join(staged, path.basename(bundle.aptLists), 'partial'), { recursive: true });
    // The loaded bundle replaces the one before: its answers key the entries it brought.
    await rm(bundle.dir, { recursive: true, force: true });
    await rename(staged, bundle.dir);
    return { manifest, added, had };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
