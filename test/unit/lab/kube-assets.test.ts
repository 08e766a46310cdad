import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { describeKubeAssets } from '../../../src/lab/kube-assets.js';
import { loadLab } from '../../../src/spec/lab.js';
import { tempDir } from '../../support/temp-dir.js';

/** Built files as a build leaves them: each its own bytes, so each digest tells which file it is. */
async function built(dir: string, files: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const rel of files) {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `bytes of ${rel}\n`);
    out[rel] = file;
  }
  return out;
}
const sha512 = (text: string) => createHash('sha512').update(text).digest('hex');

test("the nodes' downloads: kubelet, kubectl, each image archive by its file name with its digest and reference; the update images after the kube images", async (t) => {
  const dir = await tempDir(t);
  const f = await built(dir, ['k8s/bin/kubelet', 'k8s/bin/kubectl', 'kube-images/pause.tar', 'kube-images/busybox.tar', 'fluo-image/flatcar-linux-update-operator.tar', 'guard-image/rollout-guard.tar']);
  const lab = await loadLab('update');
  const kubeImages = [
    { ref: 'metal-lab.local/pause:v1.20.2', archive: f['kube-images/pause.tar']! },
    { ref: 'metal-lab.local/busybox:1.35.0', archive: f['kube-images/busybox.tar']! },
  ];
  const updateImages = [
    { ref: 'metal-lab.local/flatcar-linux-update-operator:v0.9.0', archive: f['fluo-image/flatcar-linux-update-operator.tar']! },
    { ref: 'metal-lab.local/rollout-guard:v0.1.0', archive: f['guard-image/rollout-guard.tar']! },
  ];
  const bins = { binDir: path.join(dir, 'k8s/bin'), version: 'v1.20.2' };
  const withUpdates = await describeKubeAssets(lab, bins, [...kubeImages, ...updateImages]);
  t.deepEqual(withUpdates.files, {
    kubelet: f['k8s/bin/kubelet'],
    kubectl: f['k8s/bin/kubectl'],
    'pause.tar': f['kube-images/pause.tar'],
    'busybox.tar': f['kube-images/busybox.tar'],
    'flatcar-linux-update-operator.tar': f['fluo-image/flatcar-linux-update-operator.tar'],
    'rollout-guard.tar': f['guard-image/rollout-guard.tar'],
  });
  t.deepEqual(withUpdates.assets, {
    version: 'v1.20.2',
    baseUrl: 'http://172.25.0.1:8080/assets/kubernetes/v1.20.2',
    kubelet: { name: 'kubelet', sha512: sha512('bytes of k8s/bin/kubelet\n') },
    kubectl: { name: 'kubectl', sha512: sha512('bytes of k8s/bin/kubectl\n') },
    images: [
      { name: 'pause.tar', sha512: sha512('bytes of kube-images/pause.tar\n'), ref: 'metal-lab.local/pause:v1.20.2' },
      { name: 'busybox.tar', sha512: sha512('bytes of kube-images/busybox.tar\n'), ref: 'metal-lab.local/busybox:1.35.0' },
      { name: 'flatcar-linux-update-operator.tar', sha512: sha512('bytes of fluo-image/flatcar-linux-update-operator.tar\n'), ref: 'metal-lab.local/flatcar-linux-update-operator:v0.9.0' },
      { name: 'rollout-guard.tar', sha512: sha512('bytes of guard-image/rollout-guard.tar\n'), ref: 'metal-lab.local/rollout-guard:v0.1.0' },
    ],
    pauseRef: 'metal-lab.local/pause:v1.20.2',
  });
  // Without the update images, exactly the kube images' part of the same list.
  const without = await describeKubeAssets(lab, bins, kubeImages);
  t.deepEqual(without.assets.images, withUpdates.assets.images.slice(0, 2));
  t.deepEqual(Object.keys(without.files), ['kubelet', 'kubectl', 'pause.tar', 'busybox.tar']);
});

test('two images of one file name are refused: one would hide the other on the boot server', async (t) => {
  const dir = await tempDir(t);
  const f = await built(dir, ['a/image.tar', 'b/image.tar']);
  const images = [{ ref: 'metal-lab.local/a:v1', archive: f['a/image.tar']! }, { ref: 'metal-lab.local/b:v1', archive: f['b/image.tar']! }];
  await t.throwsAsync(describeKubeAssets(await loadLab('update'), { binDir: dir, version: 'v1.20.2' }, images), { message: 'two images would be served as image.tar' });
});
