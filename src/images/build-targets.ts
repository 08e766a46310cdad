import type { BuildReporting } from '../toolkit/cached-build.js';
import type { SourceFile } from './fluo-source.js';

/** What `metal-lab build` builds, in the order it builds them; `bundle create` takes all of them. */
export const BUILD_TARGETS = ['live', 'disk', 'kubernetes', 'images', 'fluo', 'guard'] as const;
export type BuildTarget = (typeof BUILD_TARGETS)[number];

export interface BuildTargetOptions extends BuildReporting {
  cacheDir: string;
  /** The update operator's source tarball; undefined downloads it. */
  fluoSource?: SourceFile;
  /** disk: this labos release instead of the one labs install, to publish as an update. */
  labosVersion?: string;
  labosKernel?: string;
}

/**
 * Builds (or finds cached) each of `targets`, saying one result line each with its time and
 * sizes; `up` builds the same on demand.
 */
export async function buildTargets(targets: ReadonlySet<BuildTarget>, o: BuildTargetOptions, say: (line: string) => void): Promise<void> {
  const shared = { cacheDir: o.cacheDir, onProgress: o.onProgress, onHeartbeat: o.onHeartbeat };
  const timed = async <T>(what: string, fn: () => Promise<T>, result: (t: T) => string): Promise<T> => {
    const started = Date.now();
    const value = await fn();
    say(`${what}: ${result(value)} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
    return value;
  };
  if (targets.has('live')) {
    const { buildLiveImage } = await import('./labos-live.js');
    await timed('labos live image', () => buildLiveImage(shared), (i) => (i.built ? 'built' : 'cached'));
  }
  if (targets.has('disk')) {
    const { BASE_RELEASE, buildDiskImage, describeSizes } = await import('./labos-disk.js');
    const release = { version: o.labosVersion ?? BASE_RELEASE.version, kernel: o.labosKernel ?? BASE_RELEASE.kernel };
    const image = await timed(`labos ${release.version} disk image`, () => buildDiskImage({ ...shared, release }), (i) =>
      `${i.built ? 'built' : 'cached'}, kernel ${i.kernelVersion}, ${describeSizes(i.sizes)}`,
    );
    // The payload `release publish` takes: a slot's /usr, with the release's kernel in it.
    if (o.labosVersion || o.labosKernel) say(`publish it with: metal-lab release publish --lab LAB --version ${release.version} ${image.usr}`);
  }
  if (targets.has('kubernetes') || targets.has('images')) {
    const { kubeBinaries } = await import('./kubernetes-binaries.js');
    const { describeBinaries } = await import('./go-build.js');
    const bins = await timed('kubernetes binaries', () => kubeBinaries(shared), (b) =>
      `${b.built ? `built in ${b.buildSeconds}s` : 'cached'}: Kubernetes ${b.version} from Debian's ${b.sourceVersion}; ${describeBinaries(b)}`,
    );
    if (targets.has('images')) {
      const { buildKubeImages } = await import('./oci/kube-images.js');
      await timed('container images', () => buildKubeImages({ binDir: bins.binDir, version: bins.version, ...shared }), (r) =>
        r.images.map((i) => `${i.ref} ${(i.bytes / 1e6).toFixed(1)} MB`).join(', '),
      );
    }
  }
  if (targets.has('fluo')) {
    const [{ fluoBinaries }, { describeBinaries }, { buildFluoImage }] = await Promise.all([
      import('./fluo-binaries.js'),
      import('./go-build.js'),
      import('./oci/fluo-image.js'),
    ]);
    const bins = await timed('update operator binaries', () => fluoBinaries({ ...shared, source: o.fluoSource }), (b) =>
      `${b.built ? `built in ${b.buildSeconds}s` : 'cached'}: FLUO v${b.version} built from ${b.source.origin}; ${describeBinaries(b)}`,
    );
    await timed('update operator image', () => buildFluoImage({ bins, ...shared }), (i) => `${i.ref} ${(i.bytes / 1e6).toFixed(1)} MB`);
  }
  if (targets.has('guard')) {
    const { buildGuardImage } = await import('./oci/guard-image.js');
    await timed('rollout guard image', () => buildGuardImage(shared), (i) => `${i.ref} ${(i.bytes / 1e6).toFixed(1)} MB`);
  }
}
