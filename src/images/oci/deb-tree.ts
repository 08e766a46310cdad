import { rm } from 'node:fs/promises';
import path from 'node:path';
import { type DebPackage, downloadDeb, showPackage, unpackDeb } from '../apt.js';

/** Debian packages as an image's root: their Depends closure, downloaded, unpacked and pruned. */

/** Nothing in an image reads docs or translations, and no image's program calls iconv (gconv is half of libc6). */
const PRUNED = ['usr/share/doc', 'usr/share/man', 'usr/share/info', 'usr/share/locale', 'usr/share/lintian', 'usr/share/bug', 'usr/lib/x86_64-linux-gnu/gconv'];

/**
 * Depends closure of `roots` by the host's apt lists (first alternative unless one is already
 * in), asked level by level in parallel: each apt-cache call costs seconds. A name in `pinned`
 * is taken at that version, not the candidate: the candidate may be a package only the host has.
 * A name in `omitted` is left out with what only it would have brought.
 */
export async function debClosure(roots: string[], pinned: Readonly<Record<string, string>> = {}, omitted: readonly string[] = []): Promise<DebPackage[]> {
  const found = new Map<string, DebPackage>();
  for (let level = [...new Set(roots)]; level.length > 0; ) {
    const shown = await Promise.all(level.map((name) => showPackage(name, pinned[name])));
    for (const { pkg } of shown) found.set(pkg.name, pkg);
    const next = new Set<string>();
    for (const { depends } of shown) {
      for (const clause of depends.split(',').filter((c) => c.trim())) {
        // "libc6 (>= 2.34)", "libfoo:any | libbar": package names only.
        const alternatives = clause.split('|').map((a) => a.trim().split(/[\s(:]/)[0] ?? '');
        if (alternatives[0] && !alternatives.some((a) => found.has(a) || next.has(a) || omitted.includes(a))) next.add(alternatives[0]);
      }
    }
    level = [...next];
  }
  return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Downloads and unpacks `debs` into `tree` (no maintainer script runs), then removes what no image reads. */
export async function debTree(debs: DebPackage[], downloads: string, tree: string): Promise<void> {
  const files = await Promise.all(debs.map((deb) => downloadDeb(deb, path.join(downloads, deb.name))));
  for (const file of files) await unpackDeb(file, tree);
  for (const p of PRUNED) await rm(path.join(tree, p), { recursive: true, force: true });
}
