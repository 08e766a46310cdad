import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';
import { runCommand } from '../toolkit/command-error.js';

/**
 * A labos release that cannot boot, for the A/B fallback: a copy of a release's /usr image
 * whose init exits at once, so the kernel panics ("Attempted to kill init") and, with panic=10,
 * reboots; GRUB then boots the slot that worked. Edited with debugfs, without mounting.
 */

/** What the init prints before it exits, on the node's console. */
export const cannotBoot = (version: string) => `labos ${version}: this release cannot boot`;

/** A file of the image, its final newline dropped (as runCommand drops it). */
const debugfsCat = async (image: string, file: string) => (await runCommand(['debugfs', '-R', `cat ${file}`, image])).stdout;

/** os-release with `version` for the one it names (VERSION, VERSION_ID, PRETTY_NAME). */
export function withVersion(osRelease: string, version: string): string {
  const old = /^VERSION=(.*)$/m.exec(osRelease)?.[1]?.replace(/^"(.*)"$/, '$1');
  if (!old) throw new LabError('the release image has no VERSION in /lib/os-release', 'derive the broken release from a labos /usr image');
  return osRelease.replaceAll(old, version);
}

/**
 * Writes `<dir>/labos-<version>-usr.ext4`: `usr` (a release's /usr image, left as it is) with
 * `version` in /lib/os-release and a /lib/systemd/systemd that only says it cannot boot. The copy
 * is sparse, as the image is. Returns its path.
 */
export async function deriveBrokenRelease(usr: string, version: string, dir: string): Promise<string> {
  const image = path.join(dir, `labos-${version}-usr.ext4`);
  await runCommand(['cp', '--sparse=always', usr, image]);
  const [osRelease, init] = [path.join(dir, 'os-release'), path.join(dir, 'init')];
  const wanted = { osRelease: `${withVersion(await debugfsCat(image, '/lib/os-release'), version)}\n`, init: `#!/bin/sh\necho "${cannotBoot(version)}"\nexit 1\n` };
  await writeFile(osRelease, wanted.osRelease);
  await writeFile(init, wanted.init);
  const edits = ['rm /lib/os-release', `write ${osRelease} /lib/os-release`, 'rm /lib/systemd/systemd', `write ${init} /lib/systemd/systemd`, 'sif /lib/systemd/systemd mode 0100755'];
  await runCommand(['debugfs', '-w', '-f', '-', image], { input: `${edits.join('\n')}\n` });
  // debugfs reports a failed edit on stderr and still exits 0: read the result back.
  const now = { osRelease: await debugfsCat(image, '/lib/os-release'), init: await debugfsCat(image, '/lib/systemd/systemd') };
  if (now.init !== wanted.init.trimEnd() || now.osRelease !== wanted.osRelease.trimEnd()) {
    throw new LabError(`debugfs did not rewrite /lib/systemd/systemd and /lib/os-release in ${image}`, `run debugfs -w ${image} by hand to see why`);
  }
  return image;
}
