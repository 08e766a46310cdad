import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';

/** The render's golden files (test/golden/): UPDATE_GOLDEN=1 rewrites a dir from the render. */
const GOLDEN_ROOT = fileURLToPath(new URL('../golden/', import.meta.url));

/**
 * Asserts that `files` (relative path -> text) are exactly the files of test/golden/<dir>, byte for
 * byte; `testFile` (the test's import.meta.url) goes into the hint that rewrites them.
 */
export async function matchesGoldenDir(t: ExecutionContext, dir: string, files: ReadonlyMap<string, string>, testFile: string): Promise<void> {
  const root = path.join(GOLDEN_ROOT, dir);
  const names = [...files.keys()].sort();
  if (process.env.UPDATE_GOLDEN === '1') {
    await fs.rm(root, { recursive: true, force: true });
    for (const f of names) {
      await fs.mkdir(path.dirname(path.join(root, f)), { recursive: true });
      await fs.writeFile(path.join(root, f), files.get(f)!);
    }
    t.log(`rewrote ${names.length} files in ${root}`);
  }
  const hint = `UPDATE_GOLDEN=1 npx ava ${path.relative(process.cwd(), fileURLToPath(testFile))}`;
  const onDisk = (await fs.readdir(root, { recursive: true, withFileTypes: true }).catch(() => []))
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
  t.deepEqual(onDisk, names, `golden files and rendered files differ in name: ${hint}`);
  for (const f of names) t.is(files.get(f), await fs.readFile(path.join(root, f), 'utf8'), `${f} differs: ${hint}`);
}
