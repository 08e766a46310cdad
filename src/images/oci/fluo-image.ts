import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FLUO_IMAGE, fluoImageRef } from '../../ground/cluster.js';
import { hostLayout } from '../../ground/host-layout.js';
import { cachedBuild, readRecord, type BuildReporting } from '../../toolkit/cached-build.js';
import { FLUO_COMMANDS, type FluoBinaries } from '../fluo-binaries.js';
import { type OciImageSpec, PATH_ENV, TMP_DIR, writeOciArchive } from './layout.js';

/** Bump when this module changes what ends up in the image. */
const BUILDER_VERSION = 1;

export interface FluoImage {
  ref: string;
  archive: string;
  digest: string;
  bytes: number;
}

/**
 * Upstream's image, minus Alpine: both static binaries in /bin of a scratch image, the agent as
 * the entrypoint; the operator's Deployment runs /bin/update-operator as its command. No USER:
 * the agent must be root for D-Bus and logind (upstream's 65534 is overridden by its DaemonSet).
 */
export function fluoImageSpec(bins: Pick<FluoBinaries, 'binDir' | 'version'>): OciImageSpec {
  return {
    ref: fluoImageRef(bins.version),
    layers: [
      {
        entries: [...FLUO_COMMANDS.map((name) => ({ path: `bin/${name}`, file: path.join(bins.binDir, name), mode: 0o755 })), TMP_DIR],
        createdBy: `metal-lab: FLUO v${bins.version} ${FLUO_COMMANDS.join(', ')}`,
      },
    ],
    config: { env: [PATH_ENV], entrypoint: ['/bin/update-agent'] },
  };
}

const IMAGE_JSON = 'image.json';

/** image.json names the archive relative to its dir: the dir is built under a temp name and renamed. */
async function readImage(dir: string): Promise<FluoImage | undefined> {
  const image = await readRecord<FluoImage>(path.join(dir, IMAGE_JSON));
  return image && { ...image, archive: path.join(dir, image.archive) };
}

/**
 * FLUO's OCI archive, which `ctr -n k8s.io images import` loads under its metal-lab.local
 * reference. Cached under `<cacheDir>/fluo-image/<key>/`, keyed by the binaries' sha256s.
 */
export async function buildFluoImage({ bins, cacheDir, ...reporting }: { bins: Pick<FluoBinaries, 'binDir' | 'version' | 'binaries'>; cacheDir?: string } & BuildReporting): Promise<FluoImage> {
  const spec = fluoImageSpec(bins);
  const r = await cachedBuild({
    ...reporting,
    what: `the image ${spec.ref}`,
    root: path.join(cacheDir ?? hostLayout().cacheRoot, 'fluo-image'),
    inputs: { builder: BUILDER_VERSION, ref: spec.ref, binaries: bins.binaries },
    read: readImage,
    summary: (i) => `${(i.bytes / 1e6).toFixed(1)} MB`,
    build: async (tmp) => {
      const file = `${FLUO_IMAGE}.tar`;
      const written = await writeOciArchive(spec, path.join(tmp, file));
      const image: FluoImage = { ref: spec.ref, archive: file, digest: written.digest, bytes: written.bytes };
      await writeFile(path.join(tmp, IMAGE_JSON), `${JSON.stringify(image, null, 2)}\n`);
    },
  });
  return r.value;
}
