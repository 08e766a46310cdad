import fs from 'node:fs/promises';
import path from 'node:path';
import { imageRef } from '../ground/cluster.js';
import type { LabLayout } from '../ground/host-layout.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { labModel } from '../ground/lab-model.js';
import type { KubeBinaries } from '../images/kubernetes-binaries.js';
import { fileDigest } from '../images/file-digest.js';
import { KUBE_ASSET_DIR, type KubeAsset, type KubeNodeAssets } from '../render/ignition-kube.js';
import type { KubeFiles } from '../render/plan.js';

/** An image archive the nodes import at their first boot; its file name is its asset's. */
export interface PreloadedImage {
  ref: string;
  archive: string;
}

/**
 * What Kubernetes nodes download from the boot server (the kubelet, kubectl and every image
 * archive: the kube images, and in a lab with updates the update operator's and the rollout
 * guard's), with the digests their Ignition verifies, and the built file behind each: the
 * render plan places the files under the lab's assets and writes the digests into Ignition.
 */
export async function describeKubeAssets(lab: LabSpec, bins: Pick<KubeBinaries, 'binDir' | 'version'>, images: readonly PreloadedImage[]): Promise<KubeFiles> {
  const archives = images.map((image) => [path.basename(image.archive), image.archive] as const);
  const names = archives.map(([name]) => name);
  const twice = names.find((name, i) => names.indexOf(name) !== i);
  if (twice) throw new Error(`two images would be served as ${twice}`);
  const files: Record<string, string> = {
    kubelet: path.join(bins.binDir, 'kubelet'),
    kubectl: path.join(bins.binDir, 'kubectl'),
    ...Object.fromEntries(archives),
  };
  const digested = async (name: string): Promise<KubeAsset> => ({ name, sha512: await fileDigest(files[name]!, 'sha512') });
  const [kubelet, kubectl, ...digests] = await Promise.all(Object.keys(files).map(digested));
  return {
    files,
    assets: {
      version: bins.version,
      baseUrl: `${labModel(lab).bootServerUrl}/assets/${KUBE_ASSET_DIR}/${bins.version}`,
      kubelet: kubelet!,
      kubectl: kubectl!,
      images: digests.map((a, i) => ({ ...a, ref: images[i]!.ref })),
      pauseRef: imageRef('pause', bins.version),
    },
  };
}

/** What `up` gave the nodes, for the scenario (e.g. the busybox image's tag). */
export async function readKubeAssets(paths: Pick<LabLayout, 'kubeAssets'>): Promise<KubeNodeAssets> {
  return JSON.parse(await fs.readFile(paths.kubeAssets, 'utf8')) as KubeNodeAssets;
}
