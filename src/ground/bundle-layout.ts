import path from 'node:path';

/**
 * What a bundle holds and where a loaded one lives. In the archive: `bundle.json` first (its
 * format and metal-lab version, refused early when they are not this one's), then `cache/` (the
 * build cache entries), `apt/` (the .debs setup installs, as an apt repository), `npm/` (npm's
 * cache for package-lock.json), `apt-answers.json`, and `manifest.json` last, naming every entry
 * with its size and sha256.
 */

export const BUNDLE_FORMAT = 'metal-lab-bundle/1';
export const HEADER = 'bundle.json';
export const MANIFEST = 'manifest.json';
export const ANSWERS = 'apt-answers.json';
/** The tops of the archive's trees, and of a loaded bundle's dir beside the cache entries. */
export const TREES = { cache: 'cache', apt: 'apt', npm: 'npm' } as const;

export interface BundleHeader {
  format: string;
  metalLab: string;
  created: string;
}

export interface BundleManifest extends BundleHeader {
  /** Cache entries as `<kind>/<key>`, relative to the cache root. */
  cacheEntries: string[];
  /** What the manifest says of each entry: a file's size and sha256, a link's target, or a directory. */
  entries: Record<string, EntryRecord>;
}

export type EntryRecord = { size: number; sha256: string } | { symlink: string } | { directory: true };

/** A loaded bundle's own dir in the cache root: its apt repository, npm cache and apt answers. */
export function loadedBundle(cacheRoot: string) {
  const dir = path.join(cacheRoot, 'bundle');
  return {
    dir,
    apt: path.join(dir, TREES.apt),
    npm: path.join(dir, TREES.npm),
    answers: path.join(dir, ANSWERS),
    /** apt's view of the repository: a sources.list naming only it, and the lists apt makes of it. */
    sourcesList: path.join(dir, 'sources.list'),
    aptLists: path.join(dir, 'apt-lists'),
  };
}

/** apt-get's options that make the loaded bundle's repository its only source. */
export function bundleAptOptions(b: { sourcesList: string; aptLists: string }): string[] {
  return [
    `Dir::Etc::SourceList=${b.sourcesList}`,
    'Dir::Etc::SourceParts=/nonexistent',
    `Dir::State::Lists=${b.aptLists}`,
    // apt drops to _apt to read sources; the cache dir is root's.
    'APT::Sandbox::User=root',
  ].flatMap((o) => ['-o', o]);
}

/** The sources.list that names the repository at `aptDir`: unsigned, which the bundle's digests make up for. */
export const bundleSources = (aptDir: string) => `deb [trusted=yes] file:${aptDir} ./\n`;
