import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { alive } from '../ground/processes.js';

/** Stable hash of a JSON-serialisable description of every input an image is built from. */
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

const BUILD_PREFIX = '.build-';

/** Removes build dirs left by builders that died mid-way (their pid is in the name). */
async function sweepAbandoned(parent: string): Promise<void> {
  for (const name of await readdir(parent)) {
    const pid = Number(name.slice(BUILD_PREFIX.length).split('-')[0]);
    if (name.startsWith(BUILD_PREFIX) && pid > 0 && !alive(pid)) {
      await rm(path.join(parent, name), { recursive: true, force: true });
    }
  }
}

/**
 * Fills `finalDir` atomically: `build` writes into a sibling temp dir that is renamed into
 * place only when it returns, so an interrupted build never leaves a half image under the
 * final name. When another builder publishes the same key first, its result is kept and ours
 * dropped (same inputs, same bytes). Returns false in that case.
 */
export async function publishDir(finalDir: string, build: (tmpDir: string) => Promise<void>): Promise<boolean> {
  const parent = path.dirname(finalDir);
  await mkdir(parent, { recursive: true });
  await sweepAbandoned(parent);
  const tmp = await mkdtemp(path.join(parent, `${BUILD_PREFIX}${process.pid}-`));
  try {
    await build(tmp);
    // mkdtemp makes 0700; images must be readable by other users (libvirt runs qemu as its own).
    await chmod(tmp, 0o755);
    try {
      await rename(tmp, finalDir);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
      throw e;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
