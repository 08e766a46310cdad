import fs from 'node:fs/promises';
import path from 'node:path';

const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** Files under `dir` (relative paths, those `only` picks) that hold a PEM private key; binary files are read as latin1. */
export async function filesWithPrivateKeys(dir: string, only: (file: string) => boolean = () => true): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).filter(only);
  const found = await Promise.all(files.map(async (f) => (PEM_PRIVATE_KEY.test(await fs.readFile(f, 'latin1')) ? path.relative(dir, f) : undefined)));
  return found.filter((f) => f !== undefined).sort();
}
