import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROLLOUT_GUARD_IMAGE, rolloutGuardImageRef } from '../../ground/cluster.js';
import { hostLayout } from '../../ground/host-layout.js';
import type { BuildReporting } from '../../toolkit/cached-build.js';
import { showPackage, type DebPackage } from '../apt.js';
import { fileDigest } from '../file-digest.js';
import { nodeAppFiles, type NodeApp } from '../node-app.js';
import { cachedImage, type BuiltImage } from './cached-image.js';
import { debClosure, debTree } from './deb-tree.js';
import { type OciImageSpec, PATH_ENV } from './layout.js';

/** Bump when this module changes what ends up in the image. */
const BUILDER_VERSION = 1;

/**
 * Debian splits Node into nodejs and libnode<ABI>, which only Debian's archive ships: libnode's
 * candidate, and the nodejs of the same version, keep a newer nodejs of another origin that a
 * host may have installed (NodeSource's) out of the image.
 */
const LIBNODE = 'libnode108';
/** Where the app goes in the image: its dist/ and node_modules/, as in the project. */
export const APP_DIR = '/opt/metal-lab';
const ENTRY = 'guard/main.js';
export const GUARD_ENTRYPOINT = ['/usr/bin/node', `${APP_DIR}/dist/${ENTRY}`];

export type GuardImage = BuiltImage;

/** The project this module is part of, run compiled (dist/images/oci) or from source (src/images/oci). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Debian's nodejs and the packages it depends on. */
async function nodeDebs(): Promise<DebPackage[]> {
  const { pkg: lib } = await showPackage(LIBNODE);
  return debClosure(['nodejs'], { nodejs: lib.version, [LIBNODE]: lib.version });
}

/** Node from Debian's packages; no public CA: the guard talks to its own cluster, whose CA its service account brings. */
async function nodeTree(debs: DebPackage[], work: string): Promise<string> {
  const tree = path.join(work, 'node-root');
  await debTree(debs, path.join(work, 'debs'), tree);
  // Debian's node reads this bundle at every start, and warns when it is missing.
  await mkdir(path.join(tree, 'etc/ssl/certs'), { recursive: true });
  await writeFile(path.join(tree, 'etc/ssl/certs/ca-certificates.crt'), '');
  await mkdir(path.join(tree, 'tmp'));
  await chmod(path.join(tree, 'tmp'), 0o1777);
  return tree;
}

/** The project's package.json as the app's: Node reads `type` from it (the dist files are ES modules). */
async function appPackageJson(root: string): Promise<string> {
  const { name, version, type } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as Record<string, string>;
  return `${JSON.stringify({ name, version, type, private: true }, null, 2)}\n`;
}

async function guardImageSpec(debs: DebPackage[], app: NodeApp, root: string, work: string): Promise<OciImageSpec> {
  return {
    ref: rolloutGuardImageRef(),
    layers: [
      { dir: await nodeTree(debs, work), createdBy: `metal-lab: Debian ${debs.map((d) => `${d.name}=${d.version}`).join(' ')}` },
      {
        entries: [
          { path: `${APP_DIR}/package.json`, contents: await appPackageJson(root) },
          ...app.files.map((f) => ({ path: `${APP_DIR}/${f.path}`, file: f.file, mode: 0o644 })),
        ],
        createdBy: `metal-lab: the rollout guard (dist/${ENTRY} and what it imports) with ${app.packages.join(' ')}`,
      },
    ],
    config: { env: [PATH_ENV], entrypoint: GUARD_ENTRYPOINT, workingDir: APP_DIR },
  };
}

/**
 * The rollout guard's image: Debian's Node and the compiled guard with the npm packages it
 * imports. Cached under `<cacheDir>/rollout-guard-image/<key>/`, keyed by the exact .debs and
 * every app file's sha256, so a changed guard builds anew. Needs the project compiled (dist/ no
 * older than src/), root (unpacked Debian trees keep root-owned files) and the host's apt lists.
 */
export async function buildGuardImage({ cacheDir, root = PROJECT_ROOT, ...reporting }: { cacheDir?: string; root?: string } & BuildReporting): Promise<GuardImage> {
  const [debs, app] = await Promise.all([nodeDebs(), nodeAppFiles(root, ENTRY)]);
  // One file at a time: there are some two thousand.
  const sums: string[] = [];
  for (const f of app.files) sums.push(`${f.path} ${await fileDigest(f.file)}`);
  return cachedImage({
    ...reporting,
    ref: rolloutGuardImageRef(),
    root: path.join(cacheDir ?? hostLayout().cacheRoot, 'rollout-guard-image'),
    file: `${ROLLOUT_GUARD_IMAGE}.tar`,
    inputs: { builder: BUILDER_VERSION, ref: rolloutGuardImageRef(), debs, app: sums, packageJson: await appPackageJson(root) },
    spec: (work) => guardImageSpec(debs, app, root, work),
  });
}
