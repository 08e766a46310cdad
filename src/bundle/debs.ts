import { chmod, copyFile, cp, mkdir, mkdtemp, readdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HostError } from '../errors.js';
import { runCommand } from '../toolkit/command-error.js';

/**
 * The Debian packages `setup` installs, with everything they depend on, as a flat apt repository
 * (the .debs and a Packages index) that apt reads from a file path. The whole Depends closure,
 * not what this host lacks: the laptop that loads the bundle may have none of them.
 */

const APT = { env: { LC_ALL: 'C' }, install: 'run metal-lab on Debian 12' };
const FIX = 'run `apt-get update` as root (or `./metal-lab setup`), then retry';

/** Package names of the closure; virtual packages (`<name>`) are left out, their providers are in. */
export function closureNames(aptCacheDepends: string): string[] {
  const names = aptCacheDepends.split('\n').filter((l) => /^[a-z0-9][a-z0-9+.-]*(:amd64|:all)?$/.test(l));
  return [...new Set(names.map((n) => n.replace(/:(amd64|all)$/, '')))].sort();
}

/** Node.js, which the CLI itself runs on: Debian 12 has only 18, so a laptop installs it from the bundle first. */
export const NODE_PACKAGE = 'nodejs';

/**
 * The installed Node.js as a .deb: from its apt source, or, when the host has no source that
 * still offers it (a NodeSource package whose list was removed, as on these machines), built from
 * what runs: this node binary and the npm beside it, under the installed package's name, version
 * and relations. Not dpkg-repack: npm upgrades itself in place (`npm i -g npm`, as these machines
 * do at start), and a repack packs the old npm's file list with the new npm's contents, an npm
 * that cannot start (seen in the Vagrant VM).
 */
async function nodeDeb(dir: string): Promise<void> {
  const query = await runCommand(['dpkg-query', '-W', '-f=${Version}\n${Architecture}\n${Depends}\n${Provides}\n${Conflicts}\n${Replaces}', NODE_PACKAGE], {
    ...APT,
    what: 'finding the installed Node.js package',
  });
  const [version = '', arch = '', ...relations] = query.stdout.split('\n');
  const got = await runCommand(['apt-get', 'download', '-q', `${NODE_PACKAGE}=${version}`], { ...APT, cwd: dir, allowExit: 'any' });
  if (got.exitCode === 0) return;
  const tree = await mkdtemp(path.join(dir, '.nodejs-'));
  try {
    const bin = path.join(tree, 'usr/bin');
    const npm = path.join(path.dirname(path.dirname(await realpath(process.execPath))), 'lib/node_modules/npm');
    await mkdir(bin, { recursive: true });
    await mkdir(path.join(tree, 'DEBIAN'));
    await copyFile(process.execPath, path.join(bin, 'node'));
    await chmod(path.join(bin, 'node'), 0o755);
    await cp(npm, path.join(tree, 'usr/lib/node_modules/npm'), { recursive: true, verbatimSymlinks: true });
    await symlink('../lib/node_modules/npm/bin/npm-cli.js', path.join(bin, 'npm'));
    await symlink('../lib/node_modules/npm/bin/npx-cli.js', path.join(bin, 'npx'));
    const fields = ['Depends', 'Provides', 'Conflicts', 'Replaces'].flatMap((f, i) => (relations[i] ? [`${f}: ${relations[i]}`] : []));
    const control = [`Package: ${NODE_PACKAGE}`, `Version: ${version}`, `Architecture: ${arch}`, 'Maintainer: metal-lab bundle <bundle@metal-lab.invalid>', ...fields, `Description: Node.js ${process.version} with the npm it runs, from the host that made the bundle`];
    await writeFile(path.join(tree, 'DEBIAN/control'), `${control.join('\n')}\n`);
    await runCommand(['dpkg-deb', '--root-owner-group', '-Zgzip', '--build', tree, path.join(dir, `${NODE_PACKAGE}_${version}_${arch}.deb`)], {
      what: `packing the running Node.js ${process.version}`,
    });
  } finally {
    await rm(tree, { recursive: true, force: true });
  }
}

export async function writeDebRepository(dir: string, packages: readonly string[], log: (line: string) => void): Promise<{ debs: number }> {
  const depends = await runCommand(
    ['apt-cache', 'depends', '--recurse', '--no-recommends', '--no-suggests', '--no-conflicts', '--no-breaks', '--no-replaces', '--no-enhances', NODE_PACKAGE, ...packages],
    { ...APT, what: 'listing the Debian packages setup installs, with their dependencies', fix: FIX },
  );
  const names = closureNames(depends.stdout);
  log(`downloading ${names.length} Debian packages (Node.js, setup's ${packages.length} and what they depend on)`);
  await nodeDeb(dir);
  const rest = names.filter((n) => n !== NODE_PACKAGE);
  await runCommand(['apt-get', 'download', '-q', ...rest], { ...APT, cwd: dir, timeoutMs: 30 * 60_000, what: 'downloading the Debian packages', fix: FIX });
  const debs = (await readdir(dir)).filter((f) => f.endsWith('.deb'));
  if (debs.length < names.length) throw new HostError(`apt-get download left ${debs.length} .debs for ${names.length} packages in ${dir}`, FIX);
  // dpkg-dev is one of setup's packages: `apt-get source` needs it too.
  const index = await runCommand(['dpkg-scanpackages', '--multiversion', '.', '/dev/null'], { cwd: dir, install: 'run ./metal-lab setup (it installs dpkg-dev)', what: 'indexing the .debs' });
  await writeFile(path.join(dir, 'Packages'), index.stdout);
  return { debs: debs.length };
}
