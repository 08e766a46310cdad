import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { HostError } from '../errors.js';
import { lastLines, runCommand } from '../toolkit/command-error.js';
import { aptAnswer } from './apt-answers.js';
import { fileDigest } from './file-digest.js';

/** One exact Debian binary package as the apt archive describes it. */
export interface DebPackage {
  name: string;
  version: string;
  sha256: string;
  size: number;
}

/** The Debian release images are built from (the host's own). */
export const DEBIAN_SUITE = 'bookworm';

const APT_UPDATE_FIX = 'run `apt-get update` as root (or `./metal-lab setup`), then retry';
const APT = { env: { LC_ALL: 'C' }, install: 'run metal-lab on Debian or Ubuntu (apt is required)' };

/** Parses the first stanza of deb822 text (`Key: value`, continuation lines start with a space). */
function firstStanza(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last = '';
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (fields.size > 0) break;
      continue;
    }
    if (/^\s/.test(line) && last) {
      fields.set(last, `${fields.get(last)}\n${line.trim()}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    last = line.slice(0, colon);
    fields.set(last, line.slice(colon + 1).trim());
  }
  return fields;
}

/** The archive record of `name` (its candidate version, or exactly `version`), read without downloading. */
export function showPackage(name: string, version?: string): Promise<{ pkg: DebPackage; depends: string }> {
  return aptAnswer(`apt-cache show ${name}${version ? `=${version}` : ''}`, () => askPackage(name, version));
}

async function askPackage(name: string, version?: string): Promise<{ pkg: DebPackage; depends: string }> {
  const args = version ? ['show', `${name}=${version}`] : ['show', '--no-all-versions', name];
  // Exit 100 and "E: No packages found" is an answer here: the package is unknown.
  const r = await runCommand(['apt-cache', ...args], { ...APT, allowExit: 'any' });
  const fields = firstStanza(r.stdout);
  const sha256 = fields.get('SHA256');
  const ver = fields.get('Version');
  if (r.exitCode !== 0 || !sha256 || !ver) {
    const said = lastLines(r.stderr, 1);
    throw new HostError(
      `apt knows no package ${name}${version ? `=${version}` : ''}${said ? ` (${said})` : ''}: the package lists may never have been downloaded`,
      APT_UPDATE_FIX,
    );
  }
  return { pkg: { name, version: ver, sha256, size: Number(fields.get('Size') ?? 0) }, depends: fields.get('Depends') ?? '' };
}

/**
 * Resolves a kernel metapackage (e.g. linux-image-cloud-amd64) to the versioned image package it
 * pins with `Depends: linux-image-X (= V)`: the metapackage itself holds no kernel.
 */
export async function resolveKernelPackage(meta: string): Promise<DebPackage> {
  const { depends } = await showPackage(meta);
  for (const dep of depends.split(',')) {
    const m = /^\s*(linux-image-\S+)\s*\(=\s*([^)\s]+)\s*\)/.exec(dep.split('|')[0] ?? '');
    if (m?.[1] && m[2]) return (await showPackage(m[1], m[2])).pkg;
  }
  throw new HostError(`${meta} does not depend on an exact linux-image package (Depends: ${depends})`, APT_UPDATE_FIX);
}

/**
 * Downloads exactly `pkg` with `apt-get download` into `dir` (nothing is installed on the host)
 * and checks the file against the archive's SHA256, since that checksum is part of the image key.
 */
export async function downloadDeb(pkg: DebPackage, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await runCommand(['apt-get', 'download', `${pkg.name}=${pkg.version}`], { ...APT, cwd: dir, fix: APT_UPDATE_FIX });
  const file = (await readdir(dir)).find((f) => f.startsWith(`${pkg.name}_`) && f.endsWith('.deb'));
  if (!file) throw new Error(`apt-get download ${pkg.name} reported success but left no .deb in ${dir}`);
  const deb = path.join(dir, file);
  const actual = await fileDigest(deb);
  if (actual !== pkg.sha256) throw new Error(`${deb}: sha256 ${actual} does not match the archive's ${pkg.sha256}`);
  return deb;
}

/** Unpacks a .deb's file tree (no maintainer scripts run) into `dest`. */
export async function unpackDeb(deb: string, dest: string): Promise<void> {
  await mkdir(dest, { recursive: true });
  await runCommand(['dpkg-deb', '-x', deb, dest], { install: 'apt-get install dpkg' });
}

export interface AptSite {
  site: string;
  suite: string;
}

/** The host apt's bookworm sites (main, amd64): image builds fetch from the same archive as the host. */
export function hostAptSites(): Promise<AptSite[]> {
  return aptAnswer('apt sites', askSites);
}

async function askSites(): Promise<AptSite[]> {
  const r = await runCommand(['apt-get', 'indextargets', '--format', '$(SITE) $(RELEASE) $(COMPONENT) $(ARCHITECTURE)', 'Created-By: Packages'], {
    install: 'run metal-lab on Debian 12',
  });
  const sites = new Map<string, AptSite>();
  for (const line of r.stdout.split('\n')) {
    const [site, suite, component, arch] = line.trim().split(' ');
    if (site && suite && component === 'main' && arch === 'amd64' && (suite === DEBIAN_SUITE || suite.startsWith(`${DEBIAN_SUITE}-`))) {
      sites.set(`${site} ${suite}`, { site: site.replace(/\/$/, ''), suite });
    }
  }
  return [...sites.values()].sort((a, b) => (a.suite < b.suite ? -1 : 1));
}

