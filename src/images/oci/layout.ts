import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';

/**
 * Writes container images as OCI image-layout tar archives (what `ctr images import` and
 * `skopeo copy oci-archive:` read), with no registry and no Docker engine. Output is a pure
 * function of the inputs: fixed mtimes and owners, sorted entries, no creation dates.
 */

/** One entry of a layer given as a list. Parent directories are created (0755) when not listed. */
export type LayerEntry =
  | { path: string; file: string; mode?: number }
  | { path: string; contents: string | Uint8Array; mode?: number }
  | { path: string; symlink: string }
  | { path: string; dir: true; mode?: number };

/** A layer: a directory tree on the host (its modes and symlinks kept) or a list of entries. */
export type LayerSpec = ({ dir: string } | { entries: LayerEntry[] }) & {
  /** What the image's history says made this layer. */
  createdBy: string;
};

/** The PATH of an image's config, as Debian's images have it. */
export const PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Go and busybox programs expect a writable /tmp; scratch has none. */
export const TMP_DIR = { path: 'tmp', dir: true, mode: 0o1777 } as const;

export interface ImageConfigSpec {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[];
  workingDir?: string;
}

export interface OciImageSpec {
  /** Full reference, e.g. metal-lab.local/pause:v1.20.2. */
  ref: string;
  layers: LayerSpec[];
  config: ImageConfigSpec;
}

export interface OciArchive {
  archive: string;
  /** The manifest digest: what containerd reports as the image's digest. */
  digest: string;
  bytes: number;
  layers: { digest: string; diffId: string; size: number }[];
}

const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** Every tar entry gets this mtime: a fixed value is what makes equal inputs give equal digests. */
const EPOCH = new Date(0);
const PLATFORM = { architecture: 'amd64', os: 'linux' } as const;

/** Splits a reference into name and tag; the tag is what follows the last ':' after the last '/'. */
export function splitRef(ref: string): { name: string; tag: string } {
  const m = /^([a-z0-9][a-z0-9._/:-]*[a-z0-9]):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(ref);
  if (!m?.[1] || !m[2]) throw new Error(`not an image reference with a tag: ${ref}`);
  return { name: m[1], tag: m[2] };
}

type TarEntry =
  | { name: string; type: 'file'; mode: number; size: number; source: string | Uint8Array }
  | { name: string; type: 'directory'; mode: number }
  | { name: string; type: 'symlink'; linkname: string }
  | { name: string; type: 'link'; mode: number; linkname: string };

function cleanPath(p: string): string {
  const n = path.posix.normalize(`/${p}`).slice(1);
  if (!n || n.startsWith('..')) throw new Error(`bad layer path: ${p}`);
  return n.replace(/\/$/, '');
}

/** A host tree as tar entries; files sharing an inode become hard links to the first one seen. */
async function treeEntries(root: string): Promise<TarEntry[]> {
  const out: TarEntry[] = [];
  const inodes = new Map<string, string>();
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(path.join(root, rel))).sort()) {
      const relName = rel ? `${rel}/${name}` : name;
      const full = path.join(root, relName);
      const st = await lstat(full);
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        out.push({ name: relName, type: 'directory', mode });
        await walk(relName);
      } else if (st.isSymbolicLink()) {
        out.push({ name: relName, type: 'symlink', linkname: await readlink(full) });
      } else if (st.isFile()) {
        const inode = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? inodes.get(inode) : undefined;
        if (first) out.push({ name: relName, type: 'link', mode, linkname: first });
        else {
          if (st.nlink > 1) inodes.set(inode, relName);
          out.push({ name: relName, type: 'file', mode, size: st.size, source: full });
        }
      } else {
        throw new Error(`${full}: only files, directories and symlinks can go into an image layer`);
      }
    }
  };
  await walk('');
  return out;
}

async function listEntries(entries: LayerEntry[]): Promise<TarEntry[]> {
  const byName = new Map<string, TarEntry>();
  for (const e of entries) {
    const name = cleanPath(e.path);
    if ('dir' in e) byName.set(name, { name, type: 'directory', mode: e.mode ?? 0o755 });
    else if ('symlink' in e) byName.set(name, { name, type: 'symlink', linkname: e.symlink });
    else if ('file' in e) {
      const st = await stat(e.file);
      byName.set(name, { name, type: 'file', mode: e.mode ?? st.mode & 0o7777, size: st.size, source: e.file });
    } else {
      const data = typeof e.contents === 'string' ? Buffer.from(e.contents) : e.contents;
      byName.set(name, { name, type: 'file', mode: e.mode ?? 0o644, size: data.length, source: data });
    }
  }
  for (const name of [...byName.keys()]) {
    for (let dir = path.posix.dirname(name); dir !== '.'; dir = path.posix.dirname(dir)) {
      if (!byName.has(dir)) byName.set(dir, { name: dir, type: 'directory', mode: 0o755 });
    }
  }
  // Byte order, so a directory always precedes what it holds ('/' sorts before letters and digits).
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A pass-through stream that hashes and counts what flows through it. */
class Digester extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.push(chunk);
    done();
  }
  digest(): string {
    return `sha256:${this.hash.digest('hex')}`;
  }
}

function addEntry(pack: tar.Pack, e: TarEntry): Promise<void> {
  const header = { name: e.name, mtime: EPOCH, uid: 0, gid: 0, uname: '', gname: '' };
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    if (e.type === 'directory') pack.entry({ ...header, type: 'directory', mode: e.mode }, done);
    else if (e.type === 'symlink') pack.entry({ ...header, type: 'symlink', linkname: e.linkname, mode: 0o777 }, done);
    else if (e.type === 'link') pack.entry({ ...header, type: 'link', linkname: e.linkname, mode: e.mode }, done);
    else if (typeof e.source !== 'string') pack.entry({ ...header, type: 'file', mode: e.mode, size: e.size }, Buffer.from(e.source), done);
    else {
      const sink = pack.entry({ ...header, type: 'file', mode: e.mode, size: e.size }, done);
      createReadStream(e.source).on('error', reject).pipe(sink);
    }
  });
}

/**
 * Streams `entries` as a tar (gzipped when `compress`) into `out`, returning the digest of the
 * tar itself (a layer's diff_id) and the digest and size of what was written.
 */
async function writeTar(entries: TarEntry[], out: string, compress: boolean) {
  const pack = tar.pack();
  const raw = new Digester();
  const written = new Digester();
  const stages = compress ? [raw, createGzip(), written] : [raw, written];
  const feed = async () => {
    try {
      for (const e of entries) await addEntry(pack, e);
      pack.finalize();
    } catch (e) {
      pack.destroy(e as Error);
      throw e;
    }
  };
  // Both at once: if the sink fails first, the pipeline destroys the pack and feed() may never return.
  await Promise.all([feed(), pipeline([Readable.from(pack), ...stages, createWriteStream(out)])]);
  return { rawDigest: raw.digest(), digest: written.digest(), size: written.bytes };
}

const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const blobPath = (blobs: string, digest: string) => path.join(blobs, digest.replace(':', '/'));

/**
 * Writes `spec` as an OCI image-layout tar archive at `archive`. The index names the image
 * twice: org.opencontainers.image.ref.name (the tag, per the OCI spec, which umoci and skopeo
 * read) and io.containerd.image.name (the full reference, which `ctr images import` uses as is;
 * without it containerd 1.6 would need --base-name to name the image).
 */
export async function writeOciArchive(spec: OciImageSpec, archive: string): Promise<OciArchive> {
  const { tag } = splitRef(spec.ref);
  const work = `${archive}.blobs`;
  const tmpArchive = `${archive}.tmp`;
  await rm(work, { recursive: true, force: true });
  const blobs = path.join(work, 'blobs');
  await mkdir(path.join(blobs, 'sha256'), { recursive: true });
  try {
    const layers: OciArchive['layers'] = [];
    for (const layer of spec.layers) {
      const entries = 'dir' in layer ? await treeEntries(layer.dir) : await listEntries(layer.entries);
      const tmp = path.join(work, 'layer.tmp');
      const w = await writeTar(entries, tmp, true);
      await rename(tmp, blobPath(blobs, w.digest));
      layers.push({ digest: w.digest, diffId: w.rawDigest, size: w.size });
    }
    const c = spec.config;
    const config = Buffer.from(
      JSON.stringify({
        ...PLATFORM,
        config: {
          ...(c.env ? { Env: c.env } : {}),
          ...(c.entrypoint ? { Entrypoint: c.entrypoint } : {}),
          ...(c.cmd ? { Cmd: c.cmd } : {}),
          ...(c.workingDir ? { WorkingDir: c.workingDir } : {}),
        },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
        history: spec.layers.map((l) => ({ created_by: l.createdBy })),
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.manifest,
        config: { mediaType: MEDIA.config, digest: sha256(config), size: config.length },
        layers: layers.map((l) => ({ mediaType: MEDIA.layer, digest: l.digest, size: l.size })),
      }),
    );
    const digest = sha256(manifest);
    const index = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.index,
      manifests: [
        {
          mediaType: MEDIA.manifest,
          digest,
          size: manifest.length,
          platform: PLATFORM,
          annotations: { 'io.containerd.image.name': spec.ref, 'org.opencontainers.image.ref.name': tag },
        },
      ],
    });
    await writeFile(blobPath(blobs, sha256(config)), config);
    await writeFile(blobPath(blobs, digest), manifest);
    const blobEntries = await listEntries([
      { path: 'oci-layout', contents: JSON.stringify({ imageLayoutVersion: '1.0.0' }) },
      { path: 'index.json', contents: index },
      ...(await readdir(path.join(blobs, 'sha256'))).map((f) => ({ path: `blobs/sha256/${f}`, file: path.join(blobs, 'sha256', f), mode: 0o644 })),
    ]);
    const written = await writeTar(blobEntries, tmpArchive, false);
    await rename(tmpArchive, archive);
    return { archive, digest, bytes: written.size, layers };
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(tmpArchive, { force: true });
  }
}
