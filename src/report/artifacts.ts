import { cp, mkdir } from 'node:fs/promises';
import path from 'node:path';

export interface ArtifactSource {
  /** File or directory to copy (console log, request log, leases...). */
  src: string;
  /** Path relative to the artifacts dir, e.g. `console/node1.log`. */
  name: string;
}

export interface CollectResult {
  /** Absolute paths written in the artifacts dir. */
  copied: string[];
  /** Sources that could not be copied, and why; a run's evidence is best-effort. */
  missing: Array<ArtifactSource & { reason: string }>;
}

/**
 * Copies evidence into the artifacts dir so it outlives `down`, which removes the lab's state.
 * A missing or unreadable source is reported, never thrown: the run's verdict must not depend on it.
 */
export async function collectArtifacts(artifactsDir: string, files: readonly ArtifactSource[]): Promise<CollectResult> {
  const root = path.resolve(artifactsDir);
  const result: CollectResult = { copied: [], missing: [] };
  for (const file of files) {
    const dest = path.resolve(root, file.name);
    const rel = path.relative(root, dest);
    if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`)) {
      throw new Error(`artifact name "${file.name}" must stay inside ${root}`);
    }
    try {
      await mkdir(path.dirname(dest), { recursive: true });
      await cp(file.src, dest, { recursive: true, force: true });
      result.copied.push(dest);
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : String((err as Error).message ?? err);
      result.missing.push({ ...file, reason });
    }
  }
  return result;
}
