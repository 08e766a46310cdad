import { readdir, readFile, stat } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { HostError } from '../errors.js';

/**
 * What a compiled entry point of this project needs at run time, as files of one app dir laid
 * out as the project is (`dist/`, `node_modules/`), so Node resolves every import there as it
 * does here: the `dist/` files its relative imports reach, and the npm packages they import with
 * those packages' own dependencies, minus what Node never loads (types, TypeScript, source maps).
 */

/** One file of the app: where it goes under the app dir, and the host file it is. */
export interface AppFile {
  path: string;
  file: string;
}

export interface NodeApp {
  files: AppFile[];
  /** The npm packages among them, `name@version`, sorted. */
  packages: string[];
}

/** tsc's ESM output has few import forms: `from '...'`, a bare `import '...'` and `import('...')`. */
const SPECIFIERS = [/\bfrom\s*(['"])([^'"\n]+)\1/g, /(?:^|[;\s])import\s*(['"])([^'"\n]+)\1/g, /\bimport\(\s*(['"])([^'"\n]+)\1\s*\)/g];
const BUILTIN = new Set(builtinModules);
/** Packages of type declarations only. */
const TYPES_ONLY = /^@types\//;
/** Files no running program reads; licences stay. */
const UNREAD = /(\.d\.[cm]?ts|\.[cm]?ts|\.map|\.tsbuildinfo)$|^(readme|changelog|history)(\.|$)/i;

const specifiers = (js: string) => SPECIFIERS.flatMap((re) => [...js.matchAll(re)].map((m) => m[2]!));

/** `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`; undefined for Node's own modules. */
function packageName(specifier: string): string | undefined {
  if (specifier.startsWith('node:') || BUILTIN.has(specifier)) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const exists = (p: string) => stat(p).then(() => true, () => false);
const fix = 'compile the project: npm run build (./metal-lab compiles by itself)';

/** Checks a compiled file against its source: a stale dist would put old code into the image. */
async function checkCompiled(root: string, js: string): Promise<void> {
  const src = path.join(root, 'src', path.relative(path.join(root, 'dist'), js).replace(/\.js$/, '.ts'));
  const [built, source] = await Promise.all([stat(js), stat(src).catch(() => undefined)]);
  if (source && source.mtimeMs > built.mtimeMs) throw new HostError(`${path.relative(root, js)} is older than ${path.relative(root, src)}`, fix);
}

/** The dist files `entry` reaches through relative imports, and the packages they import. */
async function distClosure(root: string, entry: string): Promise<{ files: string[]; packages: Map<string, string> }> {
  const first = path.join(root, 'dist', entry);
  if (!(await exists(first))) throw new HostError(`${path.relative(root, first)} is missing`, fix);
  const files = new Set([first]);
  const packages = new Map<string, string>();
  for (const file of files) {
    await checkCompiled(root, file);
    for (const spec of specifiers(await readFile(file, 'utf8'))) {
      if (spec.startsWith('.')) {
        const target = path.resolve(path.dirname(file), spec);
        if (!(await exists(target))) throw new HostError(`${path.relative(root, file)} imports ${spec}, which is not compiled`, fix);
        files.add(target);
      } else {
        const name = packageName(spec);
        if (name && !packages.has(name)) packages.set(name, await findPackage(root, name, path.dirname(file)));
      }
    }
  }
  return { files: [...files], packages };
}

/** Node's lookup: `node_modules/<name>` in `from` and each dir above it, up to the project's root. */
async function findPackage(root: string, name: string, from: string): Promise<string> {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (await exists(path.join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === path.dirname(dir)) throw new HostError(`the npm package ${name} (needed from ${path.relative(root, from) || '.'}) is not installed`, 'npm ci');
  }
}

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const readPackage = async (dir: string) => JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as PackageJson;

/** Every file of a package but its own node_modules (each dependency is a package of its own) and what nothing reads. */
async function packageFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const name of (await readdir(d)).sort()) {
      const full = path.join(d, name);
      if ((await stat(full)).isDirectory()) {
        if (name !== 'node_modules') await walk(full);
      } else if (!UNREAD.test(name) || name === 'package.json') out.push(full);
    }
  };
  await walk(dir);
  return out;
}

/** The app of `entry` (a path under `<root>/dist`, e.g. guard/main.js) in the project at `root`. */
export async function nodeAppFiles(root: string, entry: string): Promise<NodeApp> {
  const dist = await distClosure(root, entry);
  const dirs = new Set(dist.packages.values());
  const packages: string[] = [];
  for (const dir of dirs) {
    const pkg = await readPackage(dir);
    packages.push(`${pkg.name}@${pkg.version}`);
    const optional = Object.keys(pkg.optionalDependencies ?? {});
    for (const dep of [...Object.keys(pkg.dependencies ?? {}), ...optional]) {
      if (TYPES_ONLY.test(dep)) continue;
      const found = await findPackage(root, dep, dir).catch((err: unknown) => {
        // An optional dependency npm left out (another platform's) is not there at run time either.
        if (optional.includes(dep)) return undefined;
        throw err;
      });
      if (found) dirs.add(found);
    }
  }
  const files = [...dist.files, ...(await Promise.all([...dirs].map(packageFiles))).flat()];
  return { files: files.sort().map((file) => ({ path: path.relative(root, file), file })), packages: packages.sort() };
}
