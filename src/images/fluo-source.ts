import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import type { ReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { HostError, LabError } from '../errors.js';
import { FLUO_VERSION } from '../ground/cluster.js';

/**
 * The update operator's source (FLUO, github.com/flatcar/flatcar-linux-update-operator) and the
 * project's own pin of it: a local tarball (`--fluo-source` / METAL_LAB_FLUO_SOURCE), else the
 * tag's tarball downloaded from GitHub into the cache. Either is checked against the pin before
 * anything is built from it.
 */

/** What tag v0.9.0 points at: the binaries report it (the tag's Makefile reads it from git). */
export const FLUO_COMMIT = '98905b3296b563258128ce7e00c95bbdaf498017';
export const FLUO_TAG_URL = `https://github.com/flatcar/flatcar-linux-update-operator/archive/refs/tags/v${FLUO_VERSION}.tar.gz`;
export const SOURCE_FLAG = '--fluo-source';
export const SOURCE_ENV = 'METAL_LAB_FLUO_SOURCE';

/** What a source tarball must hold: its tree's digest (see treeDigest), or be one of the known tarballs. */
export interface SourcePin {
  tree: string;
  tarballs: readonly string[];
  /** Paths in the tree that the digest leaves out, and the build removes. */
  unpinned: readonly string[];
}

/**
 * v0.9.0's tree. GitHub makes its archives on the fly and does not promise their bytes, so the pin
 * is the tree: every path with its content. The tarball of /work/shared/upstream (its sha256 is the
 * known tarball) lacks one vendored file that neither binary reads; the tree leaves it out, so the
 * tag's own archive matches too.
 */
export const FLUO_PIN: SourcePin = {
  tree: '1dd7f53f7a1c1696e1912aa7eaf7199b9c3e752d74783a52bec7614c8fc13182',
  tarballs: ['bf133b02ae8944b468b909040ce0ca9fa19c742162915d8dbb96dc38fb09d082'],
  unpinned: ['vendor/sigs.k8s.io/kustomize/kyaml/openapi/kubernetesapi/v1212/swagger.json'],
};

const LOCAL = `with ${SOURCE_FLAG} FILE or ${SOURCE_ENV}=FILE`;
const FIX = `pass FLUO v${FLUO_VERSION}'s source tarball (the tag's archive, ${FLUO_TAG_URL}) ${LOCAL}`;

/** A local source and what named it. */
export interface SourceFile {
  file: string;
  /** `--fluo-source FILE` or `METAL_LAB_FLUO_SOURCE=FILE`, for messages. */
  origin: string;
}

/** The flag wins over the environment; neither means the tag's tarball is downloaded. */
export function chooseSource(flag: string | undefined, env: NodeJS.ProcessEnv): SourceFile | undefined {
  if (flag) return { file: path.resolve(flag), origin: `${SOURCE_FLAG} ${path.resolve(flag)}` };
  const fromEnv = env[SOURCE_ENV];
  return fromEnv ? { file: path.resolve(fromEnv), origin: `${SOURCE_ENV}=${path.resolve(fromEnv)}` } : undefined;
}

export interface SourceDigests {
  /** sha256 of the tarball's bytes. */
  tarball: string;
  /** sha256 of its tree, as treeDigest. */
  tree: string;
}

/**
 * The tree's digest: one line `path NUL kind NUL sha256-or-target` for every file, symlink and
 * hard link (directories, owners, modes and times are not its content), the top directory stripped
 * from each path as the build strips it, sorted, then hashed. A path the tar holds twice counts as
 * what extracting it leaves: the last one.
 */
export async function sourceDigests(file: string, unpinned: readonly string[]): Promise<SourceDigests> {
  const whole = createHash('sha256');
  const entries = new Map<string, string>();
  const extract = tar.extract();
  const reading = (async () => {
    for await (const entry of extract) {
      const { name, type, linkname } = entry.header;
      const rel = name.split('/').slice(1).join('/').replace(/\/$/, '');
      if (type === 'file' || type === 'contiguous-file') {
        const hash = createHash('sha256');
        for await (const chunk of entry) hash.update(chunk as Buffer);
        if (rel) entries.set(rel, `file\0${hash.digest('hex')}`);
        continue;
      }
      entry.resume();
      if (type === 'symlink' || type === 'link') entries.set(rel, `${type}\0${linkname ?? ''}`);
      else if (type !== 'directory') throw new Error(`it holds ${name}, a ${type ?? 'special'} entry, where a source tree has files, directories and links`);
    }
  })();
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      whole.update(chunk);
      done(null, chunk);
    },
  });
  await Promise.all([pipeline(createReadStream(file), hashing, createGunzip(), extract), reading]);
  const skip = new Set(unpinned);
  const lines = [...entries].filter(([rel]) => !skip.has(rel)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const tree = createHash('sha256');
  for (const [rel, what] of lines) tree.update(`${rel}\0${what}\n`);
  return { tarball: whole.digest('hex'), tree: tree.digest('hex') };
}

/** Where a source came from, as the manifest records it. */
export interface VerifiedSource {
  file: string;
  /** A path given by the flag or the environment, or the URL it was downloaded from. */
  origin: string;
  digests: SourceDigests;
}

/** Reads `file` against `pin`; anything else is one line, exit 2, naming `origin` and what to pass instead. */
export async function verifySource(file: string, origin: string, pin: SourcePin = FLUO_PIN): Promise<VerifiedSource> {
  const bad = (problem: string) => new LabError(`${origin}: ${problem}`, FIX, 2);
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) throw bad(st ? 'not a file' : 'no such file');
  let digests: SourceDigests;
  try {
    digests = await sourceDigests(file, pin.unpinned);
  } catch (err) {
    throw bad(`not a gzip'd tar of a source tree (${(err as Error).message})`);
  }
  if (!pin.tarballs.includes(digests.tarball) && digests.tree !== pin.tree) {
    throw bad(`not FLUO v${FLUO_VERSION}'s source: its tree's sha256 is ${digests.tree}, the pinned tree's ${pin.tree} (tarball sha256 ${digests.tarball})`);
  }
  return { file, origin, digests };
}

/**
 * The tag's tarball, downloaded into `dir` once: into a temp file, checked, then renamed into
 * place, so the dir never holds a partial or unchecked tarball. Offline this fails with one line
 * naming the local alternative.
 */
export async function downloadSource(dir: string, opts: { url?: string; pin?: SourcePin; timeoutMs?: number } = {}): Promise<VerifiedSource> {
  const url = opts.url ?? FLUO_TAG_URL;
  const file = path.join(dir, `flatcar-linux-update-operator-v${FLUO_VERSION}.tar.gz`);
  const have = await stat(file).catch(() => undefined);
  if (have) return verifySource(file, `${file} (downloaded from ${url})`, opts.pin);
  const tmp = `${file}.download-${process.pid}`;
  try {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 300_000) });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status} ${res.statusText}`);
      // Only now: a host that cannot reach GitHub is left without so much as an empty dir.
      await mkdir(dir, { recursive: true });
      await pipeline(Readable.fromWeb(res.body as ReadableStream), createWriteStream(tmp));
    } catch (err) {
      const e = err as Error & { cause?: Error };
      throw new HostError(`cannot download FLUO v${FLUO_VERSION}'s source from ${url}: ${e.cause?.message ?? e.message}`, `pass a local copy of that tarball ${LOCAL}`);
    }
    const verified = await verifySource(tmp, url, opts.pin);
    await rename(tmp, file);
    return { ...verified, file };
  } finally {
    await rm(tmp, { force: true });
  }
}
