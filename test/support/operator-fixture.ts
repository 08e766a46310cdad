import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { fluoBinaries } from '../../src/images/fluo-binaries.js';
import { loadKubeconfig } from '../../src/kube/client.js';
import type { Teardown } from './child-processes.js';
import { startEnvtest, type Envtest } from './envtest.js';
import { SHARED_FLUO_SOURCE } from './fluo.js';

/**
 * What a test file of FLUO's operator runs on: the update-operator as built from the tests' copy of
 * its source, one envtest for the file with the namespaces it wants, a dir for the servers' logs,
 * and the servers the file starts; finish() stops them all and keeps the logs if a test failed.
 */
export interface OperatorFixture {
  /** The update-operator binary. */
  bin: string;
  env: Envtest;
  kc: KubeConfig;
  logDir: string;
  /** For servers that outlive a test. */
  scope: Teardown;
  finish(failed: boolean): Promise<void>;
}

export async function operatorFixture(name: string, namespaces: string[]): Promise<OperatorFixture> {
  const bins = await fluoBinaries({ source: SHARED_FLUO_SOURCE });
  const logDir = await mkdtemp(path.join(os.tmpdir(), `${name}-test-`));
  const env = await startEnvtest();
  const kc = loadKubeconfig(env.kubeconfig);
  const cleanups: (() => Promise<void>)[] = [];
  const finish = async (failed: boolean) => {
    for (const stop of cleanups.reverse()) await stop();
    await env.stop();
    if (failed) console.log(`${name}: logs kept in ${logDir}`);
    else await rm(logDir, { recursive: true, force: true });
  };
  try {
    for (const ns of namespaces) await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: ns } } });
  } catch (err) {
    await finish(true);
    throw err;
  }
  return { bin: path.join(bins.binDir, 'update-operator'), env, kc, logDir, scope: { teardown: (fn) => void cleanups.push(fn) }, finish };
}
