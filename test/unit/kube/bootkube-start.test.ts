import test from 'ava';
import { manifestObjects } from '../../../src/kube/asset-dir.js';
import { bootstrapFiles, checkpointFiles } from '../../../src/kube/bootkube-start.js';
import { DEFAULT_KUBE_VERSION, NODE_PATHS } from '../../../src/ground/cluster.js';
import { renderBootkubeAssets } from '../../../src/render/bootkube/index.js';
import { freshPki, goldenLab } from '../../support/bootkube-fixture.js';

const lab = goldenLab();
const assets = renderBootkubeAssets(lab, await freshPki(lab), { kubeVersion: DEFAULT_KUBE_VERSION, timeoutScale: 1 });

test('the asset dir maps onto the node as bootkube laid it out', (t) => {
  const boot = new Map(bootstrapFiles(assets).map((f) => [f.asset, f]));
  t.is(boot.get('tls/ca.crt')?.path, `${NODE_PATHS.bootstrapSecrets}/ca.crt`);
  t.is(boot.get('auth/bootstrap-kubeconfig')?.path, `${NODE_PATHS.bootstrapSecrets}/kubeconfig`);
  t.is(boot.get('bootstrap-manifests/bootstrap-apiserver.yaml')?.path, `${NODE_PATHS.staticPods}/bootstrap-apiserver.yaml`);
  t.is(boot.get('tls/apiserver.key')?.mode, 0o600);
  t.is(boot.get('tls/ca.crt')?.mode, 0o644);
  t.false([...boot.keys()].some((a) => a.startsWith('manifests/') || a.startsWith('checkpoints/') || a === 'auth/kubeconfig'));
  const cp = new Map(checkpointFiles(assets).map((f) => [f.asset, f]));
  t.is(cp.get('checkpoints/kube-apiserver.yaml')?.path, `${NODE_PATHS.checkpoints}/kube-apiserver.yaml`);
  t.is(cp.get('checkpoints/secrets/apiserver.key')?.path, `${NODE_PATHS.checkpointSecrets}/apiserver.key`);
  t.is(cp.get('checkpoints/secrets/apiserver.key')?.mode, 0o600);
  const objects = manifestObjects(assets);
  t.is(objects.length, [...assets.keys()].filter((k) => k.startsWith('manifests/')).length);
  t.truthy(objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'kube-apiserver'));
});
