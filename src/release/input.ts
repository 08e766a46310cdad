import { createPrivateKey } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { LabError } from '../errors.js';
import type { Secret } from '../pki/secret.js';

/** What `publishRelease` accepts, checked before anything is written: bad input is exit 2, one line. */

const bad = (problem: string, fix: string) => new LabError(problem, fix, 2);

/** semver's MAJOR.MINOR.PATCH[-PRERELEASE]; no +BUILD, since the version is in the payload's name and '+' is not a name the engine takes. */
const VERSION = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
/** A channel is a dir name and a URL segment the engine quotes: nothing there needs quoting. */
const CHANNEL = /^[a-z0-9][a-z0-9._-]*$/;

export function checkVersion(version: string | undefined): asserts version is string {
  if (!version) throw bad('no release version given', 'pass --version, e.g. --version 2.0.0');
  if (!VERSION.test(version)) {
    throw bad(`version ${JSON.stringify(version)} is not MAJOR.MINOR.PATCH`, 'pass a version such as 2.0.0 or 2.1.0-rc.1');
  }
}

export function checkChannel(channel: string): void {
  if (!CHANNEL.test(channel)) {
    throw bad(
      `channel ${JSON.stringify(channel)} is not a channel name`,
      "use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit (e.g. stable, beta)",
    );
  }
}

export async function checkPayload(file: string): Promise<void> {
  const fix = 'pass the labos /usr image to publish (nodes write it onto their other /usr slot)';
  const st = await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw bad(`payload ${file} ${err.code === 'ENOENT' ? 'does not exist' : `cannot be read (${err.code})`}`, fix);
  });
  if (!st.isFile()) throw bad(`payload ${file} is not a regular file`, fix);
  if (st.size === 0) throw bad(`payload ${file} is empty`, fix);
}

/** Nodes check with `openssl dgst -sha256 -verify` and an RSA public key: any other key signs in vain. */
export function checkReleaseKey(key: Secret): void {
  let type: string | undefined;
  try {
    type = createPrivateKey(key.reveal()).asymmetricKeyType;
  } catch {
    type = undefined;
  }
  if (type !== 'rsa') {
    throw bad('the release key is not an RSA private key', "sign with the lab's pki/release.key (metal-lab up --boot install makes one)");
  }
}
