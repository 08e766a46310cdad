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
export async function writeFileAtomic(file: string, content: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fh = await fs.open(tmp, 'wx', mode);
    try {
      await fh.writeFile(content);
      // The umask may have narrowed the mode; a secret is never created wider than asked.
      await fh.chmod(mode);
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

/** A file of the data dir: its path relative to the dir, and its text. */
export interface DataFile {
  path: string;
  text: string;
}

export function groupFile(group: Group): DataFile {
  checkName('group', group.id);
  return { path: path.join('groups', `${group.id}.json`), text: json(group) };
}

export function profileFile(profile: Profile): DataFile {
  checkName('profile', profile.id);
  return { path: path.join('profiles', `${profile.id}.json`), text: json(profile) };
}

/**
 * ignition/<name>. Name it `.ign` (or `.ignition`) for an Ignition config served as is; any
 * other name is read as a Container Linux Config template. An object is written as JSON.
 */
export function ignitionFile(name: string, content: string | object): DataFile {
  checkName('ignition file', name);
  if (typeof content !== 'string' && !/\.(ign|ignition)$/.test(name)) {
    // Matchbox would read it as a Container Linux Config and serve an empty Ignition config.
    throw new SpecError(`ignition file ${JSON.stringify(name)}`, 'name', 'holds an Ignition object but does not end in .ign', 'name it <something>.ign');
  }
  return { path: path.join('ignition', name), text: typeof content === 'string' ? content : JSON.stringify(content) };
}

/** generic/<name>: a template served as rendered text by /generic. */
export function genericFile(name: string, content: string): DataFile {
  checkName('generic file', name);
  return { path: path.join('generic', name), text: content };
}

// Async, so a bad name rejects the returned promise like a failed write does.
export async function writeGroup(dataDir: string, group: Group): Promise<void> {
  await write(dataDir, groupFile(group));
}

export async function writeProfile(dataDir: string, profile: Profile): Promise<void> {
  await write(dataDir, profileFile(profile));
}

export async function writeIgnition(dataDir: string, name: string, content: string | object): Promise<void> {
  await write(dataDir, ignitionFile(name, content));
}

export async function writeGeneric(dataDir: string, name: string, content: string): Promise<void> {
  await write(dataDir, genericFile(name, content));
}

function write(dataDir: string, f: DataFile): Promise<void> {
  return writeFileAtomic(path.join(dataDir, f.path), f.text);
}
