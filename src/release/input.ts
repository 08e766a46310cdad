import { createPrivateKey } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { LabError } from '../errors.js';
import type { Secret } from '../pki/secret.js';

/** What `publishRelease` accepts, checked before anything is written: bad input is exit 2, one line. */

// The release's name and channel are ground facts: a scenario file's `publish` step is checked with them at load.
export { checkChannel, checkVersion } from '../ground/release-names.js';

const bad = (problem: string, fix: string) => new LabError(problem, fix, 2);

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
