import { createReadStream, createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import tar from 'tar-stream';

/** A tar entry as a test writes it: a file (the default type), a directory, a link, a device. */
export interface TarEntry {
  name: string;
  content?: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device';
  linkname?: string;
}

/** Writes `entries`, in that order, as a gzip'd tar at `file`. */
export async function writeTarball(file: string, entries: readonly TarEntry[]): Promise<void> {
  const pack = tar.pack();
  const feed = async () => {
    for (const e of entries) {
      await new Promise<void>((resolve, reject) => {
        const type = e.type ?? 'file';
        const done = (err?: Error | null) => (err ? reject(err) : resolve());
        if (type === 'file') pack.entry({ name: e.name, type }, e.content ?? '', done);
        else pack.entry({ name: e.name, type, linkname: e.linkname }, done);
      });
    }
    pack.finalize();
  };
  await Promise.all([feed(), pipeline(Readable.from(pack), createGzip(), createWriteStream(file))]);
}

/** Copies the gzip'd tar `from` to `to`, entry by entry, with `edit` replacing the contents of the files it returns a string for. */
export async function repackTarball(from: string, to: string, edit: (name: string, content: Buffer) => string | undefined): Promise<void> {
  const extract = tar.extract();
  const pack = tar.pack();
  const copy = async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const content = Buffer.concat(chunks);
      const edited = entry.header.type === 'file' ? edit(entry.header.name, content) : undefined;
      const body = edited === undefined ? content : Buffer.from(edited);
      await new Promise<void>((resolve, reject) => pack.entry({ ...entry.header, size: body.length }, body, (err) => (err ? reject(err) : resolve())));
    }
    pack.finalize();
  };
  await Promise.all([pipeline(createReadStream(from), createGunzip(), extract), copy(), pipeline(Readable.from(pack), createGzip(), createWriteStream(to))]);
}
