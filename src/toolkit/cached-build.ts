import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { noteCacheEntry } from './bundle-record.js';
import { elapsedText, startHeartbeat } from './heartbeat.js';
import { pending, waitFor } from './wait-for.js';

/** Stable hash of a JSON-serialisable description of every input a build is made from. */
export function cacheKey(inputs: unknown): string {
  const canonical = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, x]) => [k, canonical(x)]),
      );
    }
    return v;
  };
  return createHash('sha256').update(JSON.stringify(canonical(inputs))).digest('hex').slice(0, 20);
}

/** Where the build of `inputs` lives under `root`. */
export function cacheEntry(root: string, inputs: unknown): { key: string; dir: string } {
  const key = cacheKey(inputs);
  return { key, dir: path.join(root, key) };
}

/** An entry's JSON record, or undefined while there is none: builds write it last, so it marks them complete. */
export async function readRecord<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** How a builder reports. */
export interface BuildReporting {
  /** Hit or miss, and each step of a build: what a spinner or a verbose log shows (--quiet drops it). */
  onProgress?: (msg: string) => void;
  /** A line every HEARTBEAT_MS (5 s) while a build runs, also under --quiet. Default: onProgress. */
  onHeartbeat?: (msg: string) => void;
}

/** What a build callback gets besides its temp dir. */
export interface BuildContext {
  key: string;
  /** Beside the cache entries, not in the temp dir, so a failed build's log outlives it. */
  logFile: string;
  /** A progress line; the heartbeat quotes the latest as "last". */
  progress: (msg: string) => void;
  /** A build log line: only the heartbeat sees it. */
  note: (line: string) => void;
}

export interface CachedBuildOptions<T> extends BuildReporting {
  /** What is built, for messages: "Kubernetes v1.20.2". */
  what: string;
  /** The cache dir of this kind of build: each key gets its own entry in it. */
  root: string;
  /** Every input the result depends on: any change makes a new key. */
  inputs: unknown;
  /** A finished entry's record, or undefined while there is none (it is written last). */
  read: (dir: string) => Promise<T | undefined>;
  /** Writes the build into `tmp`, which is renamed into place when this returns. */
  build: (tmp: string, ctx: BuildContext) => Promise<void>;
  /** On a miss, before anything is written: what building needs of the host (root, tools). */
  preflight?: () => Promise<void>;
  /** One line about a result, for the hit and built messages. */
  summary?: (value: T) => string;
  /** Aborting stops waiting for another build's lock (the build callback gets its own signal). */
  signal?: AbortSignal;
  heartbeatMs?: number;
  /** How long to wait for another process building the same entry. */
  lockTimeoutMs?: number;
}

export interface CachedBuild<T> {
  dir: string;
  key: string;
  value: T;
  /** False when the entry was there already, or another build published it first. */
  built: boolean;
}

const TEMP_PREFIX = '.build-';
/** A cold Kubernetes build takes half an hour on 2 cores; waiting on one must outlast it. */
const LOCK_TIMEOUT_MS = 3 * 3600_000;

/**
 * One build of an entry at a time, across processes. The lock is an abstract Unix socket: the
 * kernel drops it when its holder dies, so a killed build never leaves a stale lock behind (Node
 * has no flock), and nothing is written into the cache dir.
 */
function tryLock(dir: string): Promise<net.Server | undefined> {
  const name = `\0metal-lab-build:${createHash('sha256').update(path.resolve(dir)).digest('hex').slice(0, 32)}`;
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(undefined) : reject(err)));
    server.listen(name, () => resolve(server.unref()));
  });
}

/** Under the entry's lock, temp dirs of its key are left by builds that died. */
async function sweepAbandoned(root: string, key: string): Promise<void> {
  for (const name of await readdir(root)) {
    if (name.startsWith(`${TEMP_PREFIX}${key}-`)) await rm(path.join(root, name), { recursive: true, force: true });
  }
}

/** Builds into a temp dir beside the entry and renames it into place; false if one was there first. */
async function publish(root: string, dir: string, key: string, build: (tmp: string) => Promise<void>): Promise<boolean> {
  const tmp = await mkdtemp(path.join(root, `${TEMP_PREFIX}${key}-`));
  try {
    await build(tmp);
    // mkdtemp makes 0700; images must be readable by other users (libvirt runs qemu as its own).
    await chmod(tmp, 0o755);
    await rename(tmp, dir);
    return true;
  } catch (e) {
    // Published by a process that does not take the lock (an older metal-lab): same inputs, same bytes.
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw e;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * A build cached under `<root>/<key>`, the key hashed from `inputs`: a hit returns the entry, a
 * miss builds it into a temp dir that is renamed into place only when complete, holding a lock
 * so that concurrent callers build it once. While building (or waiting for another build) a
 * heartbeat says so every HEARTBEAT_MS.
 */
export async function cachedBuild<T>(o: CachedBuildOptions<T>): Promise<CachedBuild<T>> {
  const progress = o.onProgress ?? (() => {});
  const { key, dir } = cacheEntry(o.root, o.inputs);
  const found = async (how: string): Promise<CachedBuild<T> | undefined> => {
    const value = await o.read(dir);
    if (value === undefined) return undefined;
    progress(`${o.what} ${how} at ${dir}, nothing to build${o.summary ? ` (${o.summary(value)})` : ''}`);
    noteCacheEntry(dir);
    return { dir, key, value, built: false };
  };
  const hit = await found('cached');
  if (hit) return hit;

  await o.preflight?.();
  progress(`${o.what} is not cached: building it into ${dir}`);
  await mkdir(o.root, { recursive: true });
  let last: string | undefined;
  const heartbeat = startHeartbeat({ activity: `building ${o.what}`, say: o.onHeartbeat ?? progress, last: () => last, intervalMs: o.heartbeatMs });
  const started = Date.now();
  let lock = await tryLock(dir);
  try {
    if (!lock) {
      last = `waiting for another process building ${o.what}`;
      progress(last);
      lock = await waitFor(`another process to finish building ${o.what}`, async () => (await tryLock(dir)) ?? pending('it still builds'), {
        deadline: started + (o.lockTimeoutMs ?? LOCK_TIMEOUT_MS),
        intervalMs: 1000,
        signal: o.signal,
      });
      const theirs = await found('built by another process');
      if (theirs) return theirs;
    }
    await sweepAbandoned(o.root, key);
    const ctx: BuildContext = {
      key,
      logFile: path.join(o.root, `build-${key}.log`),
      progress: (msg) => progress((last = msg)),
      note: (line) => void (last = line),
    };
    const built = await publish(o.root, dir, key, (tmp) => o.build(tmp, ctx));
    const value = await o.read(dir);
    if (value === undefined) throw new Error(`${dir} was published without the record that marks it complete`);
    progress(`${built ? `built ${o.what} in ${elapsedText(Date.now() - started)}` : `another process built ${o.what} first`}${o.summary ? `: ${o.summary(value)}` : ''}`);
    noteCacheEntry(dir);
    return { dir, key, value, built };
  } finally {
    heartbeat.stop();
    lock?.close();
  }
}
