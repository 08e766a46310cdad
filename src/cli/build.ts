import { Argument, type Command } from 'commander';
import { BUILD_TARGETS, type BuildTarget } from '../images/build-targets.js';
import type { CliContext } from './context.js';

/**
 * `metal-lab build [targets...]`: builds (or finds cached) what labs boot, with progress, and
 * prints each build's time and sizes. `up` builds the same on demand; this lets CI and
 * workshops prepare a machine ahead of time.
 */
export function registerBuild(program: Command, { host, env, say }: CliContext): void {
  program
    .command('build')
    .description('build the node images, Kubernetes from Debian\'s source, the container images, the update operator and the rollout guard\'s image (cached)')
    .addArgument(new Argument('[targets...]', 'what to build (default: all)').choices(BUILD_TARGETS))
    .option('--quiet', 'print only the result lines, and a line every 8 s while something builds')
    .option('--fluo-source <file>', 'the update operator\'s source tarball (FLUO v0.9.0), instead of downloading it (or METAL_LAB_FLUO_SOURCE)')
    .option('--labos-version <version>', 'disk: build this labos release (os-release VERSION) instead of the one labs install, to publish as an update')
    .option('--labos-kernel <package>', 'disk: the Debian kernel package of that release, e.g. linux-image-amd64')
    .action(async (targets: BuildTarget[], opts: { quiet?: boolean; fluoSource?: string; labosVersion?: string; labosKernel?: string }) => {
      const [{ buildTargets }, { chooseSource }] = await Promise.all([import('../images/build-targets.js'), import('../images/fluo-source.js')]);
      const note = (m: string) => say(`  ${m}`);
      // --quiet drops the step lines, not the heartbeat: a build silent for half an hour looks hung.
      await buildTargets(
        new Set(targets.length ? targets : BUILD_TARGETS),
        { cacheDir: host.cacheRoot, onProgress: opts.quiet ? undefined : note, onHeartbeat: note, fluoSource: chooseSource(opts.fluoSource, env), labosVersion: opts.labosVersion, labosKernel: opts.labosKernel },
        say,
      );
    });
}
