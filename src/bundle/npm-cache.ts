import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCommand } from '../toolkit/command-error.js';

/**
 * npm's cache holding every package package-lock.json names, filled by a real `npm ci` into a
 * scratch copy of the project: on the laptop, `npm ci --offline --cache <it>` installs from it
 * alone, and npm checks each package against the lock's integrity as it does online.
 */
export async function writeNpmCache(projectRoot: string, cacheDir: string): Promise<void> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'metal-lab-npm-'));
  try {
    await Promise.all(['package.json', 'package-lock.json'].map((f) => copyFile(path.join(projectRoot, f), path.join(scratch, f))));
    await runCommand(['npm', 'ci', '--cache', cacheDir, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: scratch,
      timeoutMs: 20 * 60_000,
      what: "filling npm's cache for the bundle",
      fix: 'check that the npm registry is reachable, then retry',
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
