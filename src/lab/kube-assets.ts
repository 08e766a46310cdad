import fs from 'node:fs/promises';
import path from 'node:path';
import { imageRef } from '../ground/cluster.js';
import type { KubeBinaries } from '../images/kubernetes-binaries.js';
import type { KubeImages } from '../images/oci/kube-images.js';
import type { KubeAsset, KubeNodeAssets } from '../render/ignition-kube.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { labPaths } from './paths.js';
import { fileDigest } from '../images/file-digest.js';

/** Under the boot server's /assets: what Kubernetes nodes download on their first boot. */
export const KUBE_ASSET_DIR = 'kubernetes';

/** Hard-links (or copies across filesystems) `src` to `dest`, replacing whatever was there. */
async function link(src: string, dest: string): Promise<void> {
  await fs.rm(dest, { force: true });
  await fs.link(src, dest).catch(() => fs.copyFile(src, dest));
}

/**
 * Puts the kubelet, kubectl and every image archive under the lab's asset dir
 * (`assets/kubernetes/<version>/`) and describes them, with digests, for the nodes' Ignition.
 */
export async function placeKubeAssets(lab: LabSpec, bins: KubeBinaries, images: KubeImages): Promise<KubeNodeAssets> {
  const rel = path.join(KUBE_ASSET_DIR, bins.version);
  const dir = path.join(labPaths(lab.id).matchboxAssets, rel);
  await fs.mkdir(dir, { recursive: true, mode: 0o755 });
  const place = async (src: string, name: string): Promise<KubeAsset> => {
    await link(src, path.join(dir, name));
    return { name, sha512: await fileDigest(src, 'sha512') };
  };
  const [kubelet, kubectl, ...archives] = await Promise.all([
    place(path.join(bins.binDir, 'kubelet'), 'kubelet'),
    place(path.join(bins.binDir, 'kubectl'), 'kubectl'),
    ...images.images.map((image) => place(image.archive, `${image.name}.tar`)),
  ]);
  const assets: KubeNodeAssets = {
    version: bins.version,
    baseUrl: `http://${lab.bootServer.address}:${lab.bootServer.port}/assets/${rel}`,
    kubelet: kubelet!,
    kubectl: kubectl!,
    images: archives.map((a, i) => ({ ...a, ref: images.images[i]!.ref })),
    pauseRef: imageRef('pause', bins.version),
  };
  await fs.writeFile(kubeAssetsFile(lab.id), `${JSON.stringify(assets, null, 2)}\n`);
  return assets;
}

/** Where `up` records what the nodes were given, for the scenario (e.g. the busybox image's tag). */
export const kubeAssetsFile = (labId: string) => path.join(labPaths(labId).root, 'kubernetes.json');

export async function readKubeAssets(labId: string): Promise<KubeNodeAssets> {
  return JSON.parse(await fs.readFile(kubeAssetsFile(labId), 'utf8')) as KubeNodeAssets;
}
