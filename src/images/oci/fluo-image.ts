import path from 'node:path';
import { FLUO_IMAGE, fluoImageRef } from '../../ground/cluster.js';
import { hostLayout } from '../../ground/host-layout.js';
import type { BuildReporting } from '../../toolkit/cached-build.js';
import { FLUO_COMMANDS, type FluoBinaries } from '../fluo-binaries.js';
import { cachedImage, type BuiltImage } from './cached-image.js';
import { type OciImageSpec, PATH_ENV, TMP_DIR } from './layout.js';

/** Bump when this module changes what ends up in the image. */
const BUILDER_VERSION = 1;

export type FluoImage = BuiltImage;

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

/**
 * FLUO's OCI archive, which `ctr -n k8s.io images import` loads under its metal-lab.local
 * reference. Cached under `<cacheDir>/fluo-image/<key>/`, keyed by the binaries' sha256s.
 */
export async function buildFluoImage({ bins, cacheDir, ...reporting }: { bins: Pick<FluoBinaries, 'binDir' | 'version' | 'binaries'>; cacheDir?: string } & BuildReporting): Promise<FluoImage> {
  const spec = fluoImageSpec(bins);
  return cachedImage({
    ...reporting,
    ref: spec.ref,
    root: path.join(cacheDir ?? hostLayout().cacheRoot, 'fluo-image'),
    file: `${FLUO_IMAGE}.tar`,
    inputs: { builder: BUILDER_VERSION, ref: spec.ref, binaries: bins.binaries },
    spec: async () => spec,
  });
}
