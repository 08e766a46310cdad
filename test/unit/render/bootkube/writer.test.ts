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
  t.is(await mode('tls'), 0o700);
  t.is(await mode('auth'), 0o700);
  t.is(await mode('auth/kubelet'), 0o700);
  t.is(await mode('checkpoints/secrets'), 0o700);
  t.is(await mode('manifests'), 0o755);
  t.is(await mode('tls/ca.key'), 0o600);
  t.is(await mode('tls/ca.crt'), 0o644);
  t.is(await mode('auth/kubeconfig'), 0o600);
  t.is(await mode('auth/kubelet/c1.kubeconfig'), 0o600);
  t.is(await mode('auth/bootstrap-kubeconfig'), 0o600);
  t.is(await mode('manifests/20-kube-apiserver-secret.yaml'), 0o600);
  t.is(await mode('manifests/30-kube-apiserver-daemonset.yaml'), 0o644);
  t.is(await mode('checkpoints/secrets/apiserver.key'), 0o600);
  for (const [rel, text] of a) t.is(await fs.readFile(path.join(dir, rel), 'utf8'), text, rel);
  await t.throwsAsync(writeAssetDir(dir, a), { message: /is not empty/ });
});
