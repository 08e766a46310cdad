import { parse } from 'yaml';
import { createObjects, loadKubeconfig, type ApiObject } from '../../../../src/kube/client.js';
import { DEFAULT_KUBE_VERSION } from '../../../../src/ground/cluster.js';
import { renderBootkubeAssets } from '../../../../src/render/bootkube/index.js';
import { ENVTEST_NEEDS, startEnvtest } from '../../../support/envtest.js';
import { needs } from '../../../support/needs.js';
import { freshPki, goldenLab } from '../../../support/bootkube-fixture.js';

/** Objects of a set of rendered files, in file order (the order the pivot creates them in). */
function objectsUnder(assets: Map<string, string>, prefix: string): ApiObject[] {
  return [...assets.keys()]
    .filter((file) => file.startsWith(prefix) && file.endsWith('.yaml'))
    .sort()
    .map((file) => parse(assets.get(file)!) as ApiObject);
}

// A real kube-apiserver of the version the render targets judges every object: schema,
// defaulting, validation and admission, with dryRun=All so nothing is stored.
needs(...ENVTEST_NEEDS)('a real kube-apiserver admits every manifest, bootstrap pod and checkpoint with dryRun=All', async (t) => {
  const lab = goldenLab();
  const assets = renderBootkubeAssets(lab, await freshPki(lab), { kubeVersion: DEFAULT_KUBE_VERSION, timeoutScale: 6 });
  const env = await startEnvtest();
  t.teardown(() => env.stop());
  const kc = loadKubeconfig(env.kubeconfig);

  const manifests = objectsUnder(assets, 'manifests/');
  const results = await createObjects(kc, manifests, { dryRun: true });
  t.is(results.length, manifests.length);
  t.true(results.every((r) => r.outcome === 'dry-run'), JSON.stringify(results));

  // The static pods are never created through the API, but their mirror pods are: the same checks apply.
  const staticPods = [...objectsUnder(assets, 'bootstrap-manifests/'), ...objectsUnder(assets, 'checkpoints/')];
  t.is(staticPods.length, 4);
  const podResults = await createObjects(kc, staticPods, { dryRun: true });
  t.true(podResults.every((r) => r.outcome === 'dry-run'), JSON.stringify(podResults));

  // The check has teeth: a Deployment whose selector misses its own pods is refused.
  const broken = structuredClone(manifests.find((o) => o.kind === 'Deployment')!) as ApiObject & { spec: { selector: { matchLabels: object } } };
  broken.spec.selector.matchLabels = { 'k8s-app': 'something-else' };
  await t.throwsAsync(createObjects(kc, [broken], { dryRun: true }), { message: /selector.*does not match template labels|Invalid/ });
  t.log(`${results.length} manifests and ${podResults.length} static pods admitted by ${env.url}`);
});
