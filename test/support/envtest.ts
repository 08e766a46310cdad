import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CoreV1Api, KubeConfig, type V1OwnerReference, type V1Pod } from '@kubernetes/client-node';
import type { TestFn } from 'ava';
import { stringify } from 'yaml';
import { hostLayout } from '../../src/ground/host-layout.js';
import { ensureLabPki } from '../../src/pki/ensure.js';
import { DEFAULT_KUBE_VERSION } from '../../src/ground/cluster.js';
import { apiserverFlags } from '../../src/render/bootkube/apiserver.js';
import { renderBootkubeAssets } from '../../src/render/bootkube/index.js';
import { parseLab } from '../../src/spec/lab.js';
import { pending, waitFor } from '../../src/toolkit/wait-for.js';
import { exited, guard, launch, stopProcess, tail } from './child-processes.js';
import { packageFile, type Need } from './needs.js';
import { testKey } from './test-keys.js';

/**
 * A real etcd and a real kube-apiserver on loopback, like controller-runtime's envtest: the
 * Kubernetes API with no kubelet, scheduler or controllers. Tests drive pod phases and node
 * conditions through the status subresources, as kubelets would.
 */
export interface Envtest {
  /** An admin (system:masters) kubeconfig file. */
  kubeconfig: string;
  url: string;
  /** From making the certificates to the first ok /readyz. */
  startupMs: number;
  stop(): Promise<void>;
}

/**
 * kube-apiserver of the lab's own build, without ever building it (a cold build takes longer
 * than ava's timeout): $KUBE_BIN_DIR, else the newest finished kubeBinaries() build, else the
 * manual build dir. Synchronous, so a test file can declare a skip before its first await.
 */
export function findKubeBinDir(): string | undefined {
  const has = (dir: string) => existsSync(path.join(dir, 'kube-apiserver'));
  if (process.env.KUBE_BIN_DIR) return has(process.env.KUBE_BIN_DIR) ? process.env.KUBE_BIN_DIR : undefined;
  const root = path.join(hostLayout().cacheRoot, 'kubernetes');
  const builds = (existsSync(root) ? readdirSync(root) : [])
    .map((name) => path.join(root, name))
    .filter((dir) => existsSync(path.join(dir, 'manifest.json')) && has(path.join(dir, 'bin')))
    .sort((a, b) => statSync(path.join(b, 'manifest.json')).mtimeMs - statSync(path.join(a, 'manifest.json')).mtimeMs);
  if (builds[0]) return path.join(builds[0], 'bin');
  const manual = path.join(root, 'manual', 'bin');
  return has(manual) ? manual : undefined;
}

const ETCD = '/usr/bin/etcd';

/** The lab's own Kubernetes build: `./metal-lab build` makes it (npm test builds before the host tier). */
export const kubeBuild: Need = {
  what: `the lab's Kubernetes build (kube-apiserver in ${path.join(hostLayout().cacheRoot, 'kubernetes')}/*/bin)`,
  fix: './metal-lab build kubernetes (or set KUBE_BIN_DIR to a dir of its binaries)',
  present: () => findKubeBinDir() !== undefined,
};

/** What startEnvtest needs: Debian's etcd and the lab's kube-apiserver. */
export const ENVTEST_NEEDS = [packageFile(ETCD, 'etcd-server'), kubeBuild];

export interface EnvtestOptions {
  /** Where kube-apiserver is; default: findKubeBinDir(). */
  binDir?: string;
  etcd?: string;
  readyTimeoutMs?: number;
}

// The lab PKI's apiserver certificate carries 127.0.0.1; the node is never booted.
const LAB_YAML = `id: envtest
network: { bridge: ml-envtest0, subnet: 192.168.250.0/24 }
nodes:
  - { name: node1, role: controller, mac: "52:54:00:00:00:01", ip: 192.168.250.21 }
`;

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

function get(url: string, tls: { ca: string; cert: string; key: string }): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ...tls, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout'))).on('error', reject);
  });
}

/** Starts etcd and kube-apiserver in a temp dir; resolves once /readyz is ok. */
export async function startEnvtest(opts: EnvtestOptions = {}): Promise<Envtest> {
  const binDir = opts.binDir ?? findKubeBinDir();
  if (!binDir) throw new Error(`envtest: no ${kubeBuild.what}: ${kubeBuild.fix}`);
  const started = performance.now();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'metal-lab-envtest-'));
  const procs: ChildProcess[] = [];
  let guardProc: ChildProcess | undefined;
  const onExit = () => {
    for (const p of procs) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const stop = async () => {
    process.off('exit', onExit);
    guardProc?.kill('SIGKILL');
    // The apiserver first: it must not see etcd vanish under it.
    for (const p of [...procs].reverse()) await stopProcess(p);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const lab = parseLab(LAB_YAML, path.join(dir, 'envtest.yaml'));
    const pki = await ensureLabPki(lab, { dir: path.join(dir, 'pki'), newKey: testKey });
    const cert = (name: string) => {
      const c = pki.certs[name];
      if (!c) throw new Error(`lab PKI has no ${name} certificate`);
      return c;
    };
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const url = `https://127.0.0.1:${apiPort}`;

    const etcdLog = path.join(dir, 'etcd.log');
    procs.push(launch(opts.etcd ?? ETCD, [
      `--data-dir=${path.join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      '--unsafe-no-fsync',
    ], etcdLog));

    // The apiserver runs with the flags the lab renders for its bootstrap apiserver (so a flag the
    // binary rejects fails here), over the rendered tls/ files; only what ties it to loopback and
    // to this etcd is replaced (list flags such as --etcd-servers would append, not override).
    const secrets = path.join(dir, 'secrets');
    await mkdir(secrets, { mode: 0o700 });
    const assets = renderBootkubeAssets(lab, pki, { timeoutScale: 1 });
    for (const [rel, text] of assets) if (rel.startsWith('tls/')) await writeFile(path.join(secrets, path.basename(rel)), text, { mode: 0o600 });
    const apiLog = path.join(dir, 'kube-apiserver.log');
    const local = [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${apiPort}`,
      `--cert-dir=${path.join(dir, 'apiserver-certs')}`,
      // No controller-manager creates default ServiceAccounts; loopback is no valid endpoint.
      '--disable-admission-plugins=ServiceAccount',
      '--endpoint-reconciler-type=none',
    ];
    const flagName = (f: string) => f.split('=')[0];
    const replaced = new Set(local.map(flagName));
    const rendered = apiserverFlags({ kubeVersion: DEFAULT_KUBE_VERSION, timeoutScale: 1 }, secrets, '127.0.0.1').filter((f) => !replaced.has(flagName(f)));
    procs.push(launch(path.join(binDir, 'kube-apiserver'), [...rendered, ...local], apiLog));
    guardProc = guard(procs.map((p) => p.pid!), dir);

    const tls = { ca: cert('ca').certPem, cert: cert('admin').certPem, key: cert('admin').key.reveal() };
    const kubeconfig = path.join(dir, 'kubeconfig');
    const b64 = (s: string) => Buffer.from(s).toString('base64');
    await writeFile(kubeconfig, stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'envtest', cluster: { server: url, 'certificate-authority-data': b64(tls.ca) } }],
      users: [{ name: 'admin', user: { 'client-certificate-data': b64(tls.cert), 'client-key-data': b64(tls.key) } }],
      contexts: [{ name: 'envtest', context: { cluster: 'envtest', user: 'admin' } }],
      'current-context': 'envtest',
    }), { mode: 0o600 });

    await waitFor('envtest\'s kube-apiserver /readyz', async () => {
      const dead = procs.find(exited);
      if (dead) {
        const log = dead === procs[0] ? etcdLog : apiLog;
        throw new Error(`envtest: ${path.basename(log, '.log')} exited (${dead.exitCode ?? dead.signalCode}):\n${tail(log)}`);
      }
      const r = await get(`${url}/readyz`, tls).catch((e: Error) => ({ status: 0, body: e.message }));
      if (r.status === 200) return true;
      return pending(`${r.status || 'no connection'}: ${r.body.trim().split('\n').filter((l) => l.includes('failed')).join('; ') || r.body.trim().slice(0, 200)}`);
    }, { deadline: Date.now() + (opts.readyTimeoutMs ?? 120_000), intervalMs: 250, fatal: () => true, evidence: () => [apiLog, tail(apiLog)] });
    return { kubeconfig, url, startupMs: Math.round(performance.now() - started), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * What a kubelet would do for a pod: create it (bound to `node`, optionally owned by a
 * workload) and report `phase` through the status subresource.
 */
export async function podWithPhase(
  kc: KubeConfig,
  pod: { name: string; namespace: string; node: string; phase: string; owner?: V1OwnerReference; annotations?: Record<string, string>; labels?: Record<string, string>; podIP?: string },
): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  const created = await core.createNamespacedPod({
    namespace: pod.namespace,
    body: {
      metadata: { name: pod.name, annotations: pod.annotations, labels: pod.labels, ownerReferences: pod.owner ? [pod.owner] : undefined },
      spec: { nodeName: pod.node, containers: [{ name: 'c', image: 'metal-lab.local/pause:v1.20.2' }] },
    },
  });
  return setPodPhase(kc, created, pod.phase, pod.podIP);
}

export async function setPodPhase(kc: KubeConfig, pod: V1Pod, phase: string, podIP?: string): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  const current = await core.readNamespacedPod({ name: pod.metadata!.name!, namespace: pod.metadata!.namespace! });
  current.status = { ...current.status, phase, podIP, podIPs: podIP ? [{ ip: podIP }] : undefined };
  return core.replaceNamespacedPodStatus({ name: pod.metadata!.name!, namespace: pod.metadata!.namespace!, body: current });
}

/** An owner reference to a real object, as a DaemonSet or ReplicaSet controller would set it. */
export function ownerOf(obj: { kind?: string; apiVersion?: string; metadata?: { name?: string; uid?: string } }, kind: string): V1OwnerReference {
  return { apiVersion: obj.apiVersion ?? 'apps/v1', kind, name: obj.metadata!.name!, uid: obj.metadata!.uid!, controller: true };
}

/** Removes a pod at once, as the kubelet does once its containers are gone. */
export async function forceDeletePod(kc: KubeConfig, namespace: string, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 });
}

/** One envtest for a test file: started before its tests, stopped after them; its admin client. */
export function fileEnvtest(test: TestFn): { env: () => Envtest; kc: () => KubeConfig } {
  let env: Envtest | undefined;
  let kc: KubeConfig | undefined;
  test.before(async () => {
    env = await startEnvtest();
    kc = new KubeConfig();
    kc.loadFromFile(env.kubeconfig);
  });
  test.after.always(async () => {
    await env?.stop();
  });
  return { env: () => env!, kc: () => kc! };
}
