import { Argument, type Command } from 'commander';
import type { CliContext } from './program.js';

const TARGETS = ['live', 'disk', 'kubernetes', 'images', 'fluo', 'guard'] as const;
type Target = (typeof TARGETS)[number];

/**
 * `metal-lab build [targets...]`: builds (or finds cached) what labs boot, with progress, and
 * prints each build's time and sizes. `up` builds the same on demand; this lets CI and
 * workshops prepare a machine ahead of time.
 */
export function registerBuild(program: Command, { host, env, say }: CliContext): void {
  program
    .command('build')
    .description('build the node images, Kubernetes from Debian\'s source, the container images, the update operator and the rollout guard\'s image (cached)')
    .addArgument(new Argument('[targets...]', 'what to build (default: all)').choices(TARGETS))
    .option('--quiet', 'print only the result lines, and a line every 8 s while something builds')
    .option('--fluo-source <file>', 'the update operator\'s source tarball (FLUO v0.9.0), instead of downloading it (or METAL_LAB_FLUO_SOURCE)')
    .option('--labos-version <version>', 'disk: build this labos release (os-release VERSION) instead of the one labs install, to publish as an update')
    .option('--labos-kernel <package>', 'disk: the Debian kernel package of that release, e.g. linux-image-amd64')
    .action(async (targets: Target[], opts: { quiet?: boolean; fluoSource?: string; labosVersion?: string; labosKernel?: string }) => {
      const want = new Set<Target>(targets.length ? targets : TARGETS);
      const note = (m: string) => say(`  ${m}`);
      // --quiet drops the step lines, not the heartbeat: a build silent for half an hour looks hung.
      const shared = { cacheDir: host.cacheRoot, onProgress: opts.quiet ? undefined : note, onHeartbeat: note };
      const timed = async <T>(what: string, fn: () => Promise<T>, result: (t: T) => string): Promise<T> => {
        const started = Date.now();
        const value = await fn();
        say(`${what}: ${result(value)} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
        return value;
      };
      if (want.has('live')) {
        const { buildLiveImage } = await import('../images/labos-live.js');
        await timed('labos live image', () => buildLiveImage(shared), (i) => (i.built ? 'built' : 'cached'));
      }
      if (want.has('disk')) {
        const { BASE_RELEASE, buildDiskImage, describeSizes } = await import('../images/labos-disk.js');
        const release = { version: opts.labosVersion ?? BASE_RELEASE.version, kernel: opts.labosKernel ?? BASE_RELEASE.kernel };
        const image = await timed(`labos ${release.version} disk image`, () => buildDiskImage({ ...shared, release }), (i) =>
          `${i.built ? 'built' : 'cached'}, kernel ${i.kernelVersion}, ${describeSizes(i.sizes)}`,
        );
        // The payload `release publish` takes: a slot's /usr, with the release's kernel in it.
        if (opts.labosVersion || opts.labosKernel) say(`publish it with: metal-lab release publish --lab LAB --version ${release.version} ${image.usr}`);
      }
      if (want.has('kubernetes') || want.has('images')) {
        const { kubeBinaries } = await import('../images/kubernetes-binaries.js');
        const { describeBinaries } = await import('../images/go-build.js');
        const bins = await timed('kubernetes binaries', () => kubeBinaries(shared), (b) =>
          `${b.built ? `built in ${b.buildSeconds}s` : 'cached'}: Kubernetes ${b.version} from Debian's ${b.sourceVersion}; ${describeBinaries(b)}`,
        );
        if (want.has('images')) {
          const { buildKubeImages } = await import('../images/oci/kube-images.js');
          await timed('container images', () => buildKubeImages({ binDir: bins.binDir, version: bins.version, ...shared }), (r) =>
            r.images.map((i) => `${i.ref} ${(i.bytes / 1e6).toFixed(1)} MB`).join(', '),
          );
        }
      }
      if (want.has('fluo')) {
        const [{ fluoBinaries }, { chooseSource }, { describeBinaries }, { buildFluoImage }] = await Promise.all([
          import('../images/fluo-binaries.js'),
          import('../images/fluo-source.js'),
          import('../images/go-build.js'),
          import('../images/oci/fluo-image.js'),
        ]);
        const source = chooseSource(opts.fluoSource, env);
        const bins = await timed('update operator binaries', () => fluoBinaries({ ...shared, source }), (b) =>
          `${b.built ? `built in ${b.buildSeconds}s` : 'cached'}: FLUO v${b.version} built from ${b.source.origin}; ${describeBinaries(b)}`,
        );
        await timed('update operator image', () => buildFluoImage({ bins, ...shared }), (i) => `${i.ref} ${(i.bytes / 1e6).toFixed(1)} MB`);
      }
      if (want.has('guard')) {
        const { buildGuardImage } = await import('../images/oci/guard-image.js');
        await timed('rollout guard image', () => buildGuardImage(shared), (i) => `${i.ref} ${(i.bytes / 1e6).toFixed(1)} MB`);
      }
    });
}
