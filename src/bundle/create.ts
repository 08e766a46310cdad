import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { METAL_LAB_VERSION } from '../ground/version.js';
import { BUILD_TARGETS, buildTargets } from '../images/build-targets.js';
import type { SourceFile } from '../images/fluo-source.js';
import { LAB_PACKAGES } from '../setup/host.js';
import { startBundleRecord } from '../toolkit/bundle-record.js';
import { startHeartbeat } from '../toolkit/heartbeat.js';
import { treeItems, writeArchive, type ArchiveItem } from './archive.js';
import { writeDebRepository } from './debs.js';
import { ANSWERS, BUNDLE_FORMAT, HEADER, MANIFEST, TREES, type BundleHeader, type BundleManifest } from '../ground/bundle-layout.js';
import { writeNpmCache } from './npm-cache.js';

export interface CreateOptions {
  file: string;
  cacheRoot: string;
  /** The checkout whose package-lock.json the npm cache is filled for. */
  projectRoot: string;
  fluoSource?: SourceFile;
  /** Result lines, as `build` prints them. */
  say: (line: string) => void;
  /** Steps and heartbeats. */
  note: (line: string) => void;
}

const json = (v: unknown) => Buffer.from(`${JSON.stringify(v, null, 2)}\n`);

/** What goes into a bundle: cache entries (`<kind>/<key>` under `cacheRoot`), the apt repository and npm cache dirs, apt's answers. */
export interface BundleParts {
  cacheRoot: string;
  cacheEntries: string[];
  apt: string;
  npm: string;
  aptAnswers: Record<string, unknown>;
}

/** Writes `parts` as a bundle archive at `file`, with a heartbeat that names the entry being written. */
export async function writeBundle(file: string, parts: BundleParts, note: (line: string) => void, shownAs = file): Promise<void> {
  const header: BundleHeader = { format: BUNDLE_FORMAT, metalLab: METAL_LAB_VERSION, created: new Date().toISOString() };
  const items: ArchiveItem[] = [{ name: HEADER, type: 'data', data: json(header) }];
  for (const rel of parts.cacheEntries) items.push(...(await treeItems(path.join(parts.cacheRoot, rel), path.posix.join(TREES.cache, rel.split(path.sep).join('/')))));
  items.push(...(await treeItems(parts.apt, TREES.apt)), ...(await treeItems(parts.npm, TREES.npm)));
  items.push({ name: ANSWERS, type: 'data', data: json(parts.aptAnswers) });
  const bytes = items.reduce((n, i) => n + (i.type === 'file' ? i.size : 0), 0);
  let last = '';
  const beat = startHeartbeat({ activity: `writing ${(bytes / 1e9).toFixed(1)} GB into ${shownAs}`, say: note, last: () => last });
  try {
    await writeArchive(
      file,
      items,
      // The header is checked on its own, first: the manifest names what follows it.
      (entries) => ({ name: MANIFEST, data: json({ ...header, cacheEntries: parts.cacheEntries, entries: Object.fromEntries([...entries].filter(([name]) => name !== HEADER)) } satisfies BundleManifest) }),
      (item) => void (last = item.name),
    );
  } finally {
    beat.stop();
  }
}

/**
 * Builds (or finds cached) everything labs boot, as `metal-lab build` does, noting each cache
 * entry and each apt answer that keyed one; then fetches setup's .debs and the npm packages, and
 * writes them all as one archive. It is written beside `file` and renamed into place only when
 * complete, so a failed or interrupted create leaves no bundle that looks whole.
 */
export async function createBundle(o: CreateOptions): Promise<{ bytes: number; cacheEntries: number; debs: number }> {
  const out = path.resolve(o.file);
  const parent = await stat(path.dirname(out)).catch(() => undefined);
  if (!parent?.isDirectory()) throw new LabError(`cannot write ${out}: ${path.dirname(out)} is not a directory`, 'name a file in an existing directory', 2);

  const { record, stop } = startBundleRecord();
  try {
    await buildTargets(new Set(BUILD_TARGETS), { cacheDir: o.cacheRoot, onProgress: o.note, onHeartbeat: o.note, fluoSource: o.fluoSource }, o.say);
  } finally {
    stop();
  }
  const cacheEntries = [...record.entries].map((dir) => path.relative(o.cacheRoot, dir)).sort();
  const outside = cacheEntries.find((rel) => rel.startsWith('..') || path.isAbsolute(rel));
  if (outside) throw new Error(`a build's cache entry ${outside} is outside the cache root ${o.cacheRoot}`);

  // Beside the bundle: the same filesystem, so the final rename is atomic.
  const scratch = await mkdtemp(path.join(path.dirname(out), '.metal-lab-bundle-'));
  try {
    const apt = path.join(scratch, TREES.apt);
    const npm = path.join(scratch, TREES.npm);
    await mkdir(apt);
    const { debs } = await writeDebRepository(apt, LAB_PACKAGES, o.note);
    o.say(`Debian packages: ${debs} .debs as an apt repository`);
    o.note("filling npm's cache from package-lock.json");
    await writeNpmCache(o.projectRoot, npm);

    const partial = path.join(scratch, 'bundle.partial');
    await writeBundle(partial, { cacheRoot: o.cacheRoot, cacheEntries, apt, npm, aptAnswers: record.aptAnswers }, o.note, out);
    await rename(partial, out);
    return { bytes: (await stat(out)).size, cacheEntries: cacheEntries.length, debs };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
