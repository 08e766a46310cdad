import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../toolkit/command-error.js';
import { fileDigest } from './file-digest.js';

/** What the builds of Go programs from source share: Debian's toolchain, their scripts, their binaries' record. */

/** `go version`'s line: part of every Go build's cache key. */
export async function goVersion(what: string): Promise<string> {
  const r = await runCommand(['go', 'version'], { install: `run \`./metal-lab setup\` as root (it installs golang-go): building ${what} needs it` });
  return r.stdout.trim();
}

/** `src/images/<dir>/build.sh`, also from dist/ (tsc does not copy scripts). */
export function buildScript(dir: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const beside = path.join(here, dir, 'build.sh');
  return existsSync(beside) ? beside : path.resolve(here, '../../src/images', dir, 'build.sh');
}

export interface BinaryInfo {
  bytes: number;
  sha256: string;
}

/** Size and sha256 of each of `names` in `binDir`, for a build's manifest. */
export async function binaryInfos(binDir: string, names: readonly string[]): Promise<Record<string, BinaryInfo>> {
  const infos: Record<string, BinaryInfo> = {};
  for (const name of names) {
    const file = path.join(binDir, name);
    infos[name] = { bytes: (await stat(file)).size, sha256: await fileDigest(file) };
  }
  return infos;
}

export function describeBinaries(b: { binaries: Record<string, BinaryInfo> }): string {
  return Object.entries(b.binaries).map(([name, info]) => `${name} ${(info.bytes / 1e6).toFixed(1)} MB`).join(', ');
}
