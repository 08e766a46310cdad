import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { LabError } from '../errors.js';

/**
 * Host key pinning in an OpenSSH known_hosts file, one per lab: `<alias> <type> <base64 key>
 * <fingerprint>` (the fingerprint is a comment OpenSSH ignores, so `ssh -o UserKnownHostsFile=`
 * and `ssh-keygen -R <alias> -f` work on the same file). Trust on first use: the first key a
 * node shows is recorded; a different one later is refused.
 */

/** A node showed a different host key than the one pinned for it: never retried. */
export class HostKeyChangedError extends LabError {}

export interface PinnedKey {
  alias: string;
  type: string;
  /** The key blob as the server sent it, base64. */
  key: string;
  fingerprint: string;
}

/** OpenSSH's format: `SHA256:` + unpadded base64 of the SHA-256 of the key blob. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${crypto.createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** A key blob starts with its type as an SSH string (uint32 length + bytes). */
function keyType(key: Buffer): string {
  const len = key.length >= 4 ? key.readUInt32BE(0) : 0;
  return len > 0 && len + 4 <= key.length ? key.subarray(4, 4 + len).toString('latin1') : 'unknown';
}

function parseLine(line: string): PinnedKey | undefined {
  const [alias, type, key] = line.trim().split(/\s+/);
  if (!alias || alias.startsWith('#') || !type || !key) return undefined;
  return { alias, type, key, fingerprint: fingerprint(Buffer.from(key, 'base64')) };
}

async function readLines(file: string): Promise<string[]> {
  const text = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return '';
    throw err;
  });
  return text.split('\n').filter((l) => l.trim());
}

export async function readKnownHosts(file: string): Promise<PinnedKey[]> {
  return (await readLines(file)).map(parseLine).filter((e) => e !== undefined);
}

// Check-then-append must not interleave when several connections to one lab start at once.
const fileLocks = new Map<string, Promise<unknown>>();
function serialized<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const next = (fileLocks.get(file) ?? Promise.resolve()).catch(() => {}).then(fn);
  fileLocks.set(file, next);
  return next;
}

export interface HostKeyCheck {
  fingerprint: string;
  /** True when this was first contact and the key has just been pinned. */
  firstContact: boolean;
}

/**
 * Accepts `key` for `alias` if it is the pinned key or the alias has none yet (then pins it);
 * refuses a different key with a LabError that says how to forget the old one.
 */
export function verifyHostKey(file: string, alias: string, key: Buffer, where: string): Promise<HostKeyCheck> {
  return serialized(file, async () => {
    const pinned = (await readKnownHosts(file)).filter((e) => e.alias === alias);
    const offered = key.toString('base64');
    if (pinned.some((e) => e.key === offered)) return { fingerprint: fingerprint(key), firstContact: false };
    if (pinned.length > 0) {
      throw new HostKeyChangedError(
        `${alias} (${where}) offered host key ${fingerprint(key)}, but ${pinned.map((e) => e.fingerprint).join(', ')} is pinned for it in ${file}; refusing to connect`,
        `if ${alias} was reinstalled, forget the old key: metal-lab ssh ${alias} --forget-host-key (or ssh-keygen -R ${alias} -f ${file}); if not, find out what else answers at ${where}`,
      );
    }
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.appendFile(file, `${alias} ${keyType(key)} ${offered} ${fingerprint(key)}\n`, { mode: 0o600 });
    return { fingerprint: fingerprint(key), firstContact: true };
  });
}

/** Forgets the pinned key(s) of `alias` (the lab calls this when it reinstalls a node). */
export function forgetHostKey(file: string, alias: string): Promise<PinnedKey[]> {
  return serialized(file, async () => {
    const lines = await readLines(file);
    const forgotten = lines.map(parseLine).filter((e) => e?.alias === alias) as PinnedKey[];
    if (forgotten.length === 0) return [];
    const kept = lines.filter((l) => parseLine(l)?.alias !== alias);
    // Replace atomically: a crash must not leave a half-written file that pins nothing.
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, kept.map((l) => `${l}\n`).join(''), { mode: 0o600 });
    await fs.rename(tmp, file);
    return forgotten;
  });
}
