/**
 * Typed writers for a Matchbox data dir. Each file is written to a hidden temporary file in the
 * same directory and renamed into place, so a reader (this server or the real Matchbox) sees
 * either the old file or the new one, never a torn one. Temporary names do not end in `.json`,
 * so no loader mistakes one for a group or profile.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { SpecError } from '../errors.js';
import type { Group, Profile } from './types.js';

/** Ids become file names: keep them to one plain path segment. */
function checkName(kind: string, name: string): void {
  if (!name || name === '.' || name === '..' || name.includes('/') || name.includes('\\') || name.includes('\0') || name.startsWith('.')) {
    throw new SpecError(`${kind} ${JSON.stringify(name)}`, 'id', 'is not a usable file name', 'use letters, digits, dashes, dots and underscores (not leading dots)');
  }
}

/** Writes `content` to `file` atomically (temp file + fsync + rename), creating directories as needed. */
export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await fs.open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, '\t')}\n`;
}

export async function writeGroup(dataDir: string, group: Group): Promise<void> {
  checkName('group', group.id);
  await writeFileAtomic(path.join(dataDir, 'groups', `${group.id}.json`), json(group));
}

export async function writeProfile(dataDir: string, profile: Profile): Promise<void> {
  checkName('profile', profile.id);
  await writeFileAtomic(path.join(dataDir, 'profiles', `${profile.id}.json`), json(profile));
}

/**
 * Writes ignition/<name>. Name it `.ign` (or `.ignition`) for an Ignition config served as is;
 * any other name is read as a Container Linux Config template. An object is written as JSON.
 */
export async function writeIgnition(dataDir: string, name: string, content: string | object): Promise<void> {
  checkName('ignition file', name);
  if (typeof content !== 'string' && !/\.(ign|ignition)$/.test(name)) {
    // Matchbox would read it as a Container Linux Config and serve an empty Ignition config.
    throw new SpecError(`ignition file ${JSON.stringify(name)}`, 'name', 'holds an Ignition object but does not end in .ign', 'name it <something>.ign');
  }
  await writeFileAtomic(path.join(dataDir, 'ignition', name), typeof content === 'string' ? content : JSON.stringify(content));
}

/** Writes generic/<name>: a template served as rendered text by /generic. */
export async function writeGeneric(dataDir: string, name: string, content: string): Promise<void> {
  checkName('generic file', name);
  await writeFileAtomic(path.join(dataDir, 'generic', name), content);
}
