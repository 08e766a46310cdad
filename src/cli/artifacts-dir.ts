import { access, constants, stat } from 'node:fs/promises';
import { LabError } from '../errors.js';
import { nearestExisting } from '../preflight/doctor.js';
import { displayPath } from '../spec/spec-file.js';

/**
 * A run writes its artifacts at its end: a path that cannot hold them is refused before the run,
 * not found after it as a stack trace. Nothing is made here; the run makes the dir.
 */
export async function checkArtifactsDir(dir: string): Promise<void> {
  const base = await nearestExisting(dir);
  const where = `--artifacts ${displayPath(dir)}: ${base === dir ? 'it' : displayPath(base)}`;
  if (!(await stat(base)).isDirectory()) throw new LabError(`${where} is a file, not a directory`, 'pass a directory, or a path where one can be made', 2);
  // As root only a read-only filesystem says no.
  await access(base, constants.W_OK).catch(() => {
    throw new LabError(`${where} cannot be written (permissions, or a read-only filesystem)`, 'pass a directory this user can write', 2);
  });
}
