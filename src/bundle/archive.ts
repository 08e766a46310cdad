import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGunzip, createGzip } from 'node:zlib';
import tar from 'tar-stream';
import type { EntryRecord } from '../ground/bundle-layout.js';

/**
 * The bundle's archive: a gzipped tar of trees and small JSON files, each file's sha256 taken as
 * it is written, so the manifest that closes the archive can name every byte it holds.
 */

/** One entry of the archive: a file, a directory or a symlink from disk, or bytes made here. */
export type ArchiveItem =
  | { name: string; type: 'file'; file: string; size: number; mode: number }
  | { name: string; type: 'data'; data: Buffer }
  | { name: string; type: 'directory'; mode: number }
  | { name: string; type: 'symlink'; target: string };


/** Every file, directory and symlink under `dir`, named `prefix/<relative path>`, parents first. */
export async function treeItems(dir: string, prefix: string): Promise<ArchiveItem[]> {
  const items: ArchiveItem[] = [{ name: prefix, type: 'directory', mode: (await lstat(dir)).mode & 0o7777 }];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const e of entries.sort((a, b) => (path.join(a.parentPath, a.name) < path.join(b.parentPath, b.name) ? -1 : 1))) {
    const full = path.join(e.parentPath, e.name);
    const name = path.posix.join(prefix, path.relative(dir, full).split(path.sep).join('/'));
    const st = await lstat(full);
    if (st.isDirectory()) items.push({ name, type: 'directory', mode: st.mode & 0o7777 });
    else if (st.isSymbolicLink()) items.push({ name, type: 'symlink', target: await readlink(full) });
    else if (st.isFile()) items.push({ name, type: 'file', file: full, size: st.size, mode: st.mode & 0o7777 });
    else throw new Error(`${full} is neither a file, a directory nor a symlink: a bundle cannot hold it`);
  }
  return items;
}

/** A pass-through that hashes and counts what flows through it. */
function hashing(onDone: (r: { size: number; sha256: string }) => void): Transform {
  const hash = createHash('sha256');
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      onDone({ size, sha256: hash.digest('hex') });
      done();
    },
  });
}

function addItem(pack: tar.Pack, item: ArchiveItem): Promise<EntryRecord> {
  const header = { name: item.name, mtime: new Date(), uid: 0, gid: 0, uname: 'root', gname: 'root' };
  return new Promise((resolve, reject) => {
    const done = (record: EntryRecord) => (err?: Error | null) => (err ? reject(err) : resolve(record));
    switch (item.type) {
      case 'directory':
        pack.entry({ ...header, type: 'directory', mode: item.mode }, done({ directory: true }));
        return;
      case 'symlink':
        pack.entry({ ...header, type: 'symlink', linkname: item.target, mode: 0o777 }, done({ symlink: item.target }));
        return;
      case 'data':
        pack.entry({ ...header, type: 'file', mode: 0o644, size: item.data.length }, item.data, done({ size: item.data.length, sha256: createHash('sha256').update(item.data).digest('hex') }));
        return;
      case 'file': {
        let sha256 = '';
        const sink = pack.entry({ ...header, type: 'file', mode: item.mode, size: item.size }, (err) => (err ? reject(err) : resolve({ size: item.size, sha256 })));
        pipeline(createReadStream(item.file), hashing((r) => (sha256 = r.sha256)), sink).catch(reject);
      }
    }
  });
}

/**
 * Writes `items`, then the entry `last(records)` makes of what they hold (the manifest), as a
 * gzipped tar at `out`. Level 1: the images are most of it and compress little more at 9.
 */
export async function writeArchive(
  out: string,
  items: readonly ArchiveItem[],
  last: (records: ReadonlyMap<string, EntryRecord>) => { name: string; data: Buffer },
  onItem: (item: ArchiveItem, index: number) => void = () => {},
): Promise<void> {
  const pack = tar.pack();
  const records = new Map<string, EntryRecord>();
  const feed = async () => {
    try {
      for (const [i, item] of items.entries()) {
        onItem(item, i);
        records.set(item.name, await addItem(pack, item));
      }
      await addItem(pack, { type: 'data', ...last(records) });
      pack.finalize();
    } catch (e) {
      pack.destroy(e as Error);
      throw e;
    }
  };
  await Promise.all([feed(), pipeline(Readable.from(pack), createGzip({ level: constants.Z_BEST_SPEED }), createWriteStream(out, { mode: 0o644 }))]);
}

/** An entry as read back: its header's facts, and for a file its bytes as a stream. */
export interface ReadEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | string;
  mode: number;
  target?: string;
  /** A file's bytes; whatever is left unread is skipped. */
  stream: AsyncIterable<Buffer>;
}

/** Reads the archive at `file` entry by entry, in order; `onEntry` must consume each file's stream. */
export async function readArchive(file: string, onEntry: (e: ReadEntry) => Promise<void>): Promise<void> {
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const { name, type, mode, linkname } = entry.header;
      await onEntry({ name: name.replace(/\/$/, ''), type: type ?? 'file', mode: mode ?? 0o644, target: linkname ?? undefined, stream: entry as AsyncIterable<Buffer> });
      entry.resume();
    }
  })();
  // A refusal mid-way stops the reading: a bundle of gigabytes is not read to its end for nothing.
  reading.catch((err: unknown) => extract.destroy(err as Error));
  await Promise.all([pipeline(createReadStream(file), createGunzip(), extract), reading]);
}

/** Reads a stream through, giving its size and sha256 (and its bytes into `sink`, when given). */
export async function digestStream(stream: AsyncIterable<Buffer>, sink: Writable = new Writable({ write: (_c, _e, cb) => cb() })): Promise<{ size: number; sha256: string }> {
  let result = { size: 0, sha256: '' };
  await pipeline(stream, hashing((r) => (result = r)), sink);
  return result;
}
