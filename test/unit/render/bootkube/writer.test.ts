import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { DEFAULT_KUBE_VERSION } from '../../../../src/ground/cluster.js';
import { renderBootkubeAssets, writeAssetDir } from '../../../../src/render/bootkube/index.js';
import { freshPki, goldenLab, tempDir } from '../../../support/bootkube-fixture.js';

test('writeAssetDir: keys, kubeconfigs and Secret manifests 0600, tls/ and auth/ 0700, the rest 0644; refuses a non-empty dir', async (t) => {
  const lab = goldenLab();
  const a = renderBootkubeAssets(lab, await freshPki(lab), { kubeVersion: DEFAULT_KUBE_VERSION, timeoutScale: 6 });
  const dir = path.join(await tempDir(), 'assets');
  await writeAssetDir(dir, a);
  const mode = async (rel: string) => (await fs.stat(path.join(dir, rel))).mode & 0o777;
  const modes: Array<[string, number]> = [
    ['tls', 0o700], ['auth', 0o700], ['auth/kubelet', 0o700], ['checkpoints/secrets', 0o700], ['manifests', 0o755],
    ['tls/ca.key', 0o600], ['tls/ca.crt', 0o644], ['auth/kubeconfig', 0o600], ['auth/kubelet/c1.kubeconfig', 0o600],
    ['auth/bootstrap-kubeconfig', 0o600], ['manifests/20-kube-apiserver-secret.yaml', 0o600],
    ['manifests/30-kube-apiserver-daemonset.yaml', 0o644], ['checkpoints/secrets/apiserver.key', 0o600],
  ];
  for (const [rel, want] of modes) t.is(await mode(rel), want, rel);
  for (const [rel, text] of a) t.is(await fs.readFile(path.join(dir, rel), 'utf8'), text, rel);
  await t.throwsAsync(writeAssetDir(dir, a), { message: /is not empty/ });
});
