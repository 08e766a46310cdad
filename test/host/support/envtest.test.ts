import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { VersionApi } from '@kubernetes/client-node';
import { loadKubeconfig } from '../../../src/kube/client.js';
import { ENVTEST_NEEDS, startEnvtest } from '../../support/envtest.js';
import { needs, program } from '../../support/needs.js';

needs(...ENVTEST_NEEDS, program('pgrep', 'procps'))('envtest runs a real etcd and kube-apiserver v1.20.2 on loopback, and stop() leaves nothing behind', async (t) => {
  const env = await startEnvtest();
  const dir = path.dirname(env.kubeconfig);
  t.log(`envtest ready in ${env.startupMs} ms at ${env.url}`);
  t.regex(env.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const version = await loadKubeconfig(env.kubeconfig).makeApiClient(VersionApi).getCode();
  t.is(version.gitVersion, 'v1.20.2');
  const pids = async () => (await execa('pgrep', ['-f', dir], { reject: false })).stdout.trim();
  t.not(await pids(), '', 'etcd and kube-apiserver run with their data in the temp dir');
  await env.stop();
  t.false(existsSync(dir));
  t.is(await pids(), '');
});
