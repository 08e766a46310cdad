import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** A fresh temp dir that the test's teardown removes. */
export async function tempDir(t: { teardown(fn: () => Promise<void>): void }, prefix = 'metal-lab-test-'): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}
