import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { HostError } from '../errors.js';

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
  const r = await execa('apt-get', [...options, '-q', 'update'], { reject: false, env: { LC_ALL: 'C' } });
  if (r.code === 'ENOENT') throw new HostError('apt-get is not installed', 'run metal-lab on Debian 12');
  if (r.exitCode !== 0 || /^(W|E): Failed to fetch/m.test(String(r.stderr))) {
    throw new HostError(`apt cannot fetch the Debian source indexes: ${String(r.stderr).trim().split('\n').at(-1)}`, 'check that the Debian archive is reachable, then retry');
  }
  return { dir, options };
}

/** The newest version of source package `name` the private apt knows. */
export async function newestSourceVersion(apt: PrivateApt, name: string): Promise<string> {
  const r = await execa('apt-cache', [...apt.options, 'showsrc', '--only-source', name], { reject: false, env: { LC_ALL: 'C' } });
  const versions = [...String(r.stdout).matchAll(/^Version: (\S+)$/gm)].map((m) => m[1]!);
  if (versions.length === 0) throw new HostError(`Debian's archive has no source package ${name}`, 'check the apt sources of the host (bookworm main)');
  let newest = versions[0]!;
  for (const v of versions.slice(1)) {
    if ((await execa('dpkg', ['--compare-versions', v, 'gt', newest], { reject: false })).exitCode === 0) newest = v;
  }
  return newest;
}
