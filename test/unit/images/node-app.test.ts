import { mkdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { HostError } from '../../../src/errors.js';
import { nodeAppFiles } from '../../../src/images/node-app.js';
import { tempDir } from '../../support/temp-dir.js';

/** Writes `files` (path -> text) under `root`, every one dated `at` (seconds), so a test controls which side is newer. */
async function tree(root: string, files: Record<string, string>, at = 1_700_000_000): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(root, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    await utimes(file, at, at);
  }
}

const pkg = (name: string, version: string, more: object = {}) => JSON.stringify({ name, version, ...more });

/**
 * A compiled project: guard/main.js imports a sibling, a package (with a subpath), Node's own
 * modules with and without `node:`, and, over several lines, a package whose dependency exists in
 * two versions (the nested one is the one Node loads). Sources are older than their output.
 */
async function project(t: Parameters<typeof tempDir>[0]): Promise<string> {
  const root = await tempDir(t);
  await tree(root, { 'src/guard/main.ts': '', 'src/guard/pass.ts': '', 'src/kube/client.ts': '' }, 1_600_000_000);
  await tree(root, {
    'dist/guard/main.js': "import fs from 'node:fs';\nimport os from 'os';\nimport { pass } from './pass.js';\nimport {\n  a,\n  b,\n} from 'alpha/sub/x.js';\nawait import('../kube/client.js');\n",
    'dist/guard/pass.js': "export { c } from '@scope/beta';\nimport './side-effect.js';\n",
    'dist/guard/side-effect.js': '',
    'dist/kube/client.js': '',
    'dist/cli/main.js': "import 'unrelated';\n",
    'node_modules/alpha/package.json': pkg('alpha', '1.0.0', { dependencies: { gamma: '^2', '@types/alpha': '*' }, optionalDependencies: { 'other-platform': '*' } }),
    'node_modules/alpha/sub/x.js': '',
    'node_modules/alpha/sub/x.d.ts': '',
    'node_modules/alpha/sub/x.js.map': '',
    'node_modules/alpha/src/x.ts': '',
    'node_modules/alpha/README.md': '',
    'node_modules/alpha/LICENSE': '',
    'node_modules/alpha/node_modules/gamma/package.json': pkg('gamma', '2.0.0'),
    'node_modules/alpha/node_modules/gamma/index.js': '',
    'node_modules/gamma/package.json': pkg('gamma', '1.0.0'),
    'node_modules/@scope/beta/package.json': pkg('@scope/beta', '3.0.0', { dependencies: { gamma: '^1' } }),
    'node_modules/@scope/beta/index.cjs': '',
    'node_modules/@types/alpha/package.json': pkg('@types/alpha', '1.0.0'),
    'node_modules/unrelated/package.json': pkg('unrelated', '1.0.0'),
  });
  return root;
}

test("an entry's app: the dist files its imports reach, the packages they import with theirs, nothing Node never reads", async (t) => {
  const root = await project(t);
  const app = await nodeAppFiles(root, 'guard/main.js');
  t.deepEqual(app.packages, ['@scope/beta@3.0.0', 'alpha@1.0.0', 'gamma@1.0.0', 'gamma@2.0.0']);
  t.deepEqual(app.files.map((f) => f.path), [
    'dist/guard/main.js',
    'dist/guard/pass.js',
    'dist/guard/side-effect.js',
    'dist/kube/client.js',
    'node_modules/@scope/beta/index.cjs',
    'node_modules/@scope/beta/package.json',
    'node_modules/alpha/LICENSE',
    'node_modules/alpha/node_modules/gamma/index.js',
    'node_modules/alpha/node_modules/gamma/package.json',
    'node_modules/alpha/package.json',
    'node_modules/alpha/sub/x.js',
    'node_modules/gamma/package.json',
  ]);
  for (const f of app.files) t.is(f.file, path.join(root, f.path));
});

test('a dist file older than its source is refused: the image would hold old code', async (t) => {
  const root = await project(t);
  await tree(root, { 'src/guard/pass.ts': 'changed' }, 1_800_000_000);
  const err = await t.throwsAsync(nodeAppFiles(root, 'guard/main.js'), { instanceOf: HostError });
  t.is(err!.line(), 'dist/guard/pass.js is older than src/guard/pass.ts. Fix: compile the project: npm run build (./metal-lab compiles by itself)');
});

test('a project not compiled, an import not compiled, a package not installed: one line each', async (t) => {
  const root = await project(t);
  await t.throwsAsync(nodeAppFiles(root, 'guard/absent.js'), { instanceOf: HostError, message: 'dist/guard/absent.js is missing' });
  await tree(root, { 'dist/guard/side-effect.js': "import './gone.js';\n" });
  await t.throwsAsync(nodeAppFiles(root, 'guard/main.js'), { instanceOf: HostError, message: 'dist/guard/side-effect.js imports ./gone.js, which is not compiled' });
  await tree(root, { 'dist/guard/side-effect.js': "import 'nowhere';\n" });
  const err = await t.throwsAsync(nodeAppFiles(root, 'guard/main.js'), { instanceOf: HostError });
  t.is(err!.line(), 'the npm package nowhere (needed from dist/guard) is not installed. Fix: npm ci');
});
