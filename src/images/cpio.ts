import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/**
 * One initramfs entry. Written here rather than with the `cpio` tool so that device nodes need
 * no root, and every owner and timestamp is fixed: the same inputs give byte-identical images.
 */
export type CpioEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; data: Buffer; mode?: number }
  | { type: 'symlink'; path: string; target: string }
  | { type: 'char'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

const hex8 = (n: number) => n.toString(16).padStart(8, '0');
const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);

/** One newc record: 110-byte header, NUL-terminated name and data, each padded to 4 bytes. */
function record(ino: number, mode: number, name: string, data: Buffer, rdev: [number, number] = [0, 0]): Buffer {
  const nameBytes = Buffer.from(`${name}\0`);
  const fields = [ino, mode, 0, 0, mode & S_IFDIR ? 2 : 1, 0, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
  const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'ascii');
  return Buffer.concat([header, nameBytes, pad4(header.length + nameBytes.length), data, pad4(data.length)]);
}

/** The uncompressed newc ("070701") archive of `entries`, in the given order, with its trailer. */
export function newcArchive(entries: CpioEntry[]): Buffer[] {
  const out = entries.map((e, i) => {
    const name = e.path.replace(/^\/+/, '');
    switch (e.type) {
      case 'dir':
        return record(i + 1, S_IFDIR | (e.mode ?? 0o755), name, Buffer.alloc(0));
      case 'file':
        return record(i + 1, S_IFREG | (e.mode ?? 0o644), name, e.data);
      case 'symlink':
        return record(i + 1, S_IFLNK | 0o777, name, Buffer.from(e.target));
      case 'char':
        return record(i + 1, S_IFCHR | (e.mode ?? 0o600), name, Buffer.alloc(0), [e.major, e.minor]);
    }
  });
  out.push(record(0, 0, 'TRAILER!!!', Buffer.alloc(0)));
  return out;
}

/** Writes `entries` as a gzip-compressed newc cpio (the format the kernel unpacks as initramfs). */
export async function writeCpioGz(entries: CpioEntry[], file: string): Promise<void> {
  await pipeline(Readable.from(newcArchive(entries)), createGzip({ level: 9 }), createWriteStream(file));
}
