import fs from 'node:fs/promises';
import path from 'node:path';
import { imageRef } from '../ground/cluster.js';
import type { LabLayout } from '../ground/host-layout.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { labModel } from '../ground/lab-model.js';
import type { KubeBinaries } from '../images/kubernetes-binaries.js';
import type { KubeImages } from '../images/oci/kube-images.js';
import { fileDigest } from '../images/file-digest.js';
import { KUBE_ASSET_DIR, type KubeAsset, type KubeNodeAssets } from '../render/ignition-kube.js';
import type { KubeFiles } from '../render/plan.js';

/**
 * What Kubernetes nodes download from the boot server (the kubelet, kubectl and every image
 * archive), with the digests their Ignition verifies, and the built file behind each: the
 * render plan places the files under the lab's assets and writes the digests into Ignition.
 */
export async function describeKubeAssets(lab: LabSpec, bins: KubeBinaries, images: KubeImages): Promise<KubeFiles> {
  const files: Record<string, string> = {
    kubelet: path.join(bins.binDir, 'kubelet'),
    kubectl: path.join(bins.binDir, 'kubectl'),
    ...Object.fromEntries(images.images.map((image) => [`${image.name}.tar`, image.archive])),
  };
  const digested = async (name: string): Promise<KubeAsset> => ({ name, sha512: await fileDigest(files[name]!, 'sha512') });
  const [kubelet, kubectl, ...archives] = await Promise.all(Object.keys(files).map(digested));
  return {
    files,
    assets: {
      version: bins.version,
      baseUrl: `${labModel(lab).bootServerUrl}/assets/${KUBE_ASSET_DIR}/${bins.version}`,
      kubelet: kubelet!,
      kubectl: kubectl!,
      images: archives.map((a, i) => ({ ...a, ref: images.images[i]!.ref })),
      pauseRef: imageRef('pause', bins.version),
    },
  };
}

/** What `up` gave the nodes, for the scenario (e.g. the busybox image's tag). */
export async function readKubeAssets(paths: Pick<LabLayout, 'kubeAssets'>): Promise<KubeNodeAssets> {
  return JSON.parse(await fs.readFile(paths.kubeAssets, 'utf8')) as KubeNodeAssets;
}
