import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { CliContext } from './context.js';

/** The checkout this CLI runs from: src/cli and dist/cli both sit two levels below it. */
const projectRoot = () => path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(2)} GB`;

/**
 * `metal-lab bundle create|load FILE`: one archive for a workshop room, so that no laptop
 * downloads Debian or npm packages or builds Kubernetes: made once where the network is, loaded
 * on each laptop, after which `setup` and the scenarios fetch nothing.
 */
export function registerBundle(program: Command, { host, env, print, say }: CliContext): void {
  const bundle = program.command('bundle').description('an offline workshop bundle: the npm packages, Debian packages, node images, Kubernetes and container images in one file');
  bundle
    .command('create')
    .description('build or find everything labs need and write it, with a manifest of digests, into FILE')
    .argument('<file>', 'the bundle to write (a gzipped tar, about 2 GB)')
    .option('--fluo-source <file>', "the update operator's source tarball (FLUO v0.9.0), instead of downloading it (or METAL_LAB_FLUO_SOURCE)")
    .action(async (file: string, opts: { fluoSource?: string }) => {
      const [{ createBundle }, { chooseSource }] = await Promise.all([import('../bundle/create.js'), import('../images/fluo-source.js')]);
      const started = Date.now();
      const r = await createBundle({ file, cacheRoot: host.cacheRoot, projectRoot: projectRoot(), fluoSource: chooseSource(opts.fluoSource, env), say, note: (m) => say(`  ${m}`) });
      say(`bundle: ${r.cacheEntries} cache entries, ${r.debs} Debian packages, npm's cache; ${gb(r.bytes)} in ${Math.round((Date.now() - started) / 1000)}s`);
      print(path.resolve(file));
    });
  bundle
    .command('load')
    .description('check FILE against its manifest, then fill the caches from it; setup then installs from its packages')
    .argument('<file>', 'a bundle metal-lab bundle create wrote')
    .action(async (file: string) => {
      const [{ loadBundle }, { startHeartbeat }] = await Promise.all([import('../bundle/load.js'), import('../toolkit/heartbeat.js')]);
      const started = Date.now();
      say(`checking ${file} against its manifest before writing anything`);
      // Reading a gigabyte twice (its digests, then its entries) takes minutes on a slow laptop.
      const beat = startHeartbeat({ activity: `loading ${file}`, say, last: () => undefined });
      const r = await loadBundle(file, host.cacheRoot).finally(() => beat.stop());
      say(`loaded in ${Math.round((Date.now() - started) / 1000)}s: ${r.added.length} cache entries added, ${r.had.length} already here; Debian and npm packages in ${path.join(host.cacheRoot, 'bundle')}`);
      say('next: ./metal-lab setup (it installs from the bundle), then ./metal-lab run');
    });
}
