import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HostError } from '../errors.js';
import { PKI_SSH_KEY } from '../ground/host-layout.js';

/** File names under the PKI dir (a lab's is inside its state dir, so `down` removes it with the lab). */
export function pkiLayout(dir: string) {
  return {
    dir,
    cert: (name: string) => path.join(dir, `${name}.crt`),
    key: (name: string) => path.join(dir, `${name}.key`),
    /** The public half of a key pair that has no certificate (SPKI PEM). */
    publicKey: (name: string) => path.join(dir, `${name}.pub`),
    sshPrivate: path.join(dir, PKI_SSH_KEY),
    sshPublic: path.join(dir, `${PKI_SSH_KEY}.pub`),
  };
}
export type PkiLayout = ReturnType<typeof pkiLayout>;

export const SECRET_MODE = 0o600;
export const PUBLIC_MODE = 0o644;
const DIR_MODE = 0o700;

/** Creates `dir` and the given subdirs as 0700 (also tightening ones that already exist). */
export async function ensurePrivateDirs(dir: string, subdirs: Iterable<string>): Promise<void> {
  // Only the PKI dir is private: parents it creates (the lab dir, when the PKI comes first, as
  // with `metal-lab render`) stay traversable for libvirt's dnsmasq and qemu.
  await mkdir(path.dirname(dir), { recursive: true, mode: 0o755 }).catch(() => {});
  for (const d of [dir, ...[...subdirs].map((sub) => path.join(dir, sub))]) {
    try {
      await mkdir(d, { recursive: true, mode: DIR_MODE });
      await setMode(d, DIR_MODE);
    } catch (error) {
      throw new HostError(
        `cannot create the lab PKI dir ${d}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        'run metal-lab as the user that owns the state dir, or point METAL_LAB_HOME at a writable dir',
      );
    }
  }
}

/** The file's text, or undefined when it does not exist. */
export async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Writes through a temp file in the same dir and renames it over the target, so a reader (or a
 * crash) never sees half a key or half a release payload; the temp file is created with the
 * final mode, never wider. `data` is anything writeFile takes, a stream of chunks included.
 */
export async function writeAtomic(file: string, data: Parameters<typeof writeFile>[1], mode: number): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, data, { mode, flag: 'wx' });
    await setMode(tmp, mode); // the umask may have narrowed a public file's mode
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}

/** Brings a reused file to its mode (a key copied in by hand may be group-readable). */
export async function setMode(file: string, mode: number): Promise<void> {
  if (((await stat(file)).mode & 0o777) !== mode) await chmod(file, mode);
}
