import { open } from 'node:fs/promises';
import { LabError } from '../errors.js';
import { runCommand } from '../toolkit/command-error.js';
import { checkPayload, checkVersion } from './input.js';

/**
 * A payload is a labos /usr image, and the release it is, is in its lib/os-release. Nodes
 * compare the channel's version with their own os-release VERSION: a payload published under
 * another version than it carries would be installed again at every check, for ever.
 */

const bad = (problem: string, fix: string) => new LabError(problem, fix, 2);
const BUILD_FIX = 'pass the usr.ext4 that `metal-lab build disk --labos-version V` prints';

/** ext4's superblock starts at byte 1024; its magic 0xEF53 sits 56 bytes in, little-endian. */
async function isExt(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const magic = Buffer.alloc(2);
    await fh.read(magic, 0, 2, 1024 + 56);
    return magic.readUInt16LE(0) === 0xef53;
  } finally {
    await fh.close();
  }
}

/** The VERSION of the labos release in a /usr image, read with debugfs (no mount, no root). */
export async function payloadVersion(file: string): Promise<string> {
  if (!(await isExt(file))) throw bad(`payload ${file} is not an ext4 filesystem image, so not a labos /usr`, BUILD_FIX);
  const r = await runCommand(['debugfs', '-R', 'cat /lib/os-release', file], {
    what: `reading ${file}'s os-release`,
    fix: 'install e2fsprogs (./metal-lab setup)',
  });
  const version = /^VERSION="?([^"\n]*)"?$/m.exec(r.stdout)?.[1];
  if (!version) throw bad(`payload ${file} has no VERSION in /usr/lib/os-release, so it is not a labos /usr`, BUILD_FIX);
  return version;
}

/** Refuses a version that is none, a payload that is none, and a payload that is another release than `version`; returns the version. */
export async function checkPayloadRelease(file: string, version: string | undefined): Promise<string> {
  checkVersion(version);
  await checkPayload(file);
  const carried = await payloadVersion(file);
  if (carried !== version) {
    throw bad(
      `payload ${file} is labos ${carried}, not ${version}: nodes would install it again at every check`,
      `publish it as --version ${carried}, or build ${version} with metal-lab build disk --labos-version ${version}`,
    );
  }
  return version;
}
