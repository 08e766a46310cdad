import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HostError } from '../errors.js';
import { CommandError, lastLines, runCommand } from '../toolkit/command-error.js';

/**
 * apt with its own state, cache and sources under `dir`: builds fetch Debian source packages
 * without reading or changing the host's apt configuration (no deb-src line is ever added there).
 */
export interface PrivateApt {
  dir: string;
  /** `-o` options that point apt-get and apt-cache at `dir`. */
  options: string[];
}

export function privateAptOptions(dir: string): string[] {
  return [
    `Dir::State=${dir}/state`,
    `Dir::Cache=${dir}/cache`,
    `Dir::Etc::SourceList=${dir}/sources.list`,
    'Dir::Etc::SourceParts=/nonexistent',
    'Dir::Etc::Preferences=/nonexistent',
    'Dir::Etc::PreferencesParts=/nonexistent',
    'Debug::NoLocking=1',
    // apt would drop to the _apt user for downloads, which cannot write into our root-owned dirs.
    'APT::Sandbox::User=root',
  ].flatMap((o) => ['-o', o]);
}

/** Writes `sources` (sources.list lines) into a private apt dir and downloads its indexes. */
export async function privateApt(dir: string, sources: string[]): Promise<PrivateApt> {
  await mkdir(path.join(dir, 'state', 'lists', 'partial'), { recursive: true });
  await mkdir(path.join(dir, 'cache', 'archives', 'partial'), { recursive: true });
  await writeFile(path.join(dir, 'sources.list'), `${sources.join('\n')}\n`);
  const options = privateAptOptions(dir);
  const r = await runCommand(['apt-get', ...options, '-q', 'update'], { env: { LC_ALL: 'C' }, allowExit: 'any', install: 'run metal-lab on Debian 12' });
  // apt-get update exits 0 when an index fails to download: only its warning says so.
  if (r.exitCode !== 0 || /^(W|E): Failed to fetch/m.test(r.stderr)) {
    throw new CommandError(r, { what: 'apt cannot fetch the Debian source indexes', fix: 'check that the Debian archive is reachable, then retry' });
  }
  return { dir, options };
}

/** The newest version of source package `name` the private apt knows. */
export async function newestSourceVersion(apt: PrivateApt, name: string): Promise<string> {
  // An unknown package exits 100: no version is the answer then.
  const r = await runCommand(['apt-cache', ...apt.options, 'showsrc', '--only-source', name], { env: { LC_ALL: 'C' }, allowExit: 'any' });
  const versions = [...r.stdout.matchAll(/^Version: (\S+)$/gm)].map((m) => m[1]!);
  if (versions.length === 0) {
    const said = lastLines(r.stderr, 1);
    throw new HostError(`Debian's archive has no source package ${name}${said ? ` (${said})` : ''}`, 'check the apt sources of the host (bookworm main)');
  }
  let newest = versions[0]!;
  for (const v of versions.slice(1)) {
    // Exit 1 is "not greater"; anything else is a failure.
    if ((await runCommand(['dpkg', '--compare-versions', v, 'gt', newest], { allowExit: [0, 1] })).exitCode === 0) newest = v;
  }
  return newest;
}
