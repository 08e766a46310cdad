// Compiles src/ and test/ to JavaScript in build/ for the unit tier (npm run test:unit), which runs
// them through @ava/typescript. Under tsx each ava worker thread starts its own loader-hooks thread
// and sends every import across it: ~30 s of the tier's CPU on 2 cores, a third of its minute.
// esbuild strips the types as tsx would (tsx is esbuild), ~0.5 s for the whole tree, and only
// files changed since their last compile are redone.
// Each file keeps its source's import.meta.url, so fixtures, goldens and the CLI found next to the
// source are found from build/ too, and a test names its .ts file in its hints.
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { transform } from 'esbuild';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const out = path.join(root, 'build');
const { compilerOptions } = JSON.parse(await fs.readFile(path.join(root, 'tsconfig.json'), 'utf8'));

const sources = [];
for (const dir of ['src', 'test']) {
  for (const entry of await fs.readdir(path.join(root, dir), { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) sources.push(path.join(entry.parentPath, entry.name));
  }
}

await Promise.all(sources.map(async (source) => {
  const target = path.join(out, path.relative(root, source)).replace(/\.ts$/, '.js');
  const [from, to] = await Promise.all([fs.stat(source), fs.stat(target).catch(() => undefined)]);
  if (to && to.mtimeMs >= from.mtimeMs) return;
  const { code } = await transform(await fs.readFile(source, 'utf8'), {
    loader: 'ts',
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcefile: source,
    sourcemap: 'inline',
    tsconfigRaw: { compilerOptions },
    define: { 'import.meta.url': JSON.stringify(pathToFileURL(source).href) },
  });
  await fs.mkdir(path.dirname(target), { recursive: true });
  await fs.writeFile(target, code);
}));

// A source removed or renamed leaves no stale test behind.
const wanted = new Set(sources.map((s) => path.join(out, path.relative(root, s)).replace(/\.ts$/, '.js')));
for (const entry of await fs.readdir(out, { recursive: true, withFileTypes: true })) {
  const file = path.join(entry.parentPath, entry.name);
  if (entry.isFile() && !wanted.has(file)) await fs.rm(file);
}
