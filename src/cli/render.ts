import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_KUBE_VERSION, kubeMinor } from '../ground/cluster.js';
import { LAB_FILES } from '../ground/host-layout.js';
import { DEFAULT_LAB } from './defaults.js';
import type { CliContext } from './context.js';

/** A malformed version is a usage error before anything is written. */
function checkedVersion(value: string): string {
  kubeMinor(value);
  return value;
}

export function registerRender(program: Command, { host, say }: CliContext): void {
  program
    .command('render')
    .description("write a lab's bootkube-style assets: kubeconfigs, TLS, bootstrap and self-hosted manifests; with updates:, the update operator's")
    .argument('[lab]', 'lab file or name in lab/', DEFAULT_LAB)
    .requiredOption('--out <dir>', 'a new or empty dir to write the assets to')
    .option('--kube-version <version>', 'Kubernetes version: image tags and version-specific flags', checkedVersion, DEFAULT_KUBE_VERSION)
    .action(async (labArg: string, opts: { out: string; kubeVersion: string }) => {
      const [{ labFromArg }, { ensureLabPki }, { labAccel }, bootkube, { renderUpdateOperator }, { warnOf }, { controlPlane }] = await Promise.all([
        import('./resolve.js'), import('../pki/ensure.js'), import('../preflight/preflight.js'), import('../render/bootkube/index.js'),
        import('../render/update-operator/index.js'), import('./lab-warnings.js'), import('../ground/lab-model.js'),
      ]);
      const out = path.resolve(opts.out);
      const lab = await labFromArg(labArg);
      warnOf(lab, say);
      // Checked before the PKI is made, so a lab without a controller or a mistaken --out changes nothing.
      controlPlane(lab);
      await bootkube.assertEmptyDir(out);
      // Timeouts as `up` will scale them on this host.
      const { timeoutScale } = await labAccel(lab);
      const assets = bootkube.renderBootkubeAssets(lab, await ensureLabPki(lab, { dir: host.lab(lab.id).pki }), { kubeVersion: opts.kubeVersion, timeoutScale });
      // Beside bootkube's files, named as in the lab's state dir.
      if (lab.updates && lab.kubernetes) for (const [rel, text] of renderUpdateOperator(lab.updates, LAB_FILES.updateOperator)) assets.set(rel, text);
      await bootkube.writeAssetDir(out, assets);
      say(`wrote ${assets.size} files for lab ${lab.id} (Kubernetes ${opts.kubeVersion}) to ${out}`);
    });
}
