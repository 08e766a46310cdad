import { LabError } from '../errors.js';

/** A snapshot name: a path segment a shell needs no quotes for. */
export const SNAPSHOT_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export function checkSnapshotName(name: string): void {
  if (!SNAPSHOT_NAME.test(name)) {
    throw new LabError(`snapshot name ${JSON.stringify(name)} is not a plain name`, 'use lowercase letters, digits, ".", "_" and "-", starting with a letter or digit, at most 63 (e.g. bootstrapped)', 2);
  }
}
