import { appendFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import path from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { NodeSpec } from '../ground/lab-spec.js';
import { LabError } from '../errors.js';
import { controlPlane, labModel } from '../ground/lab-model.js';
import { labObjectNames } from '../ground/lab-spec.js';
import { connectNode, type NodeSession } from '../node/ssh.js';
import { nodeSshTarget } from '../node/lab-target.js';
import { readAssetDir } from '../kube/asset-dir.js';
import { bootkubeStart, sshNodeShell, type PivotResult } from '../kube/bootkube-start.js';
import { API_WAIT, apiGet, loadKubeconfig } from '../kube/client.js';
import { apiserverPodsComeBack, crossNodePodTraffic, nodesReady, selfHostedPlane, serviceByName, type TrafficOptions } from '../kube/health.js';
import { readKubeAssets } from '../lab/kube-assets.js';
import { APISERVER_PORT, KUBELET_HEALTHZ_PORT, kubeServiceIp, NODE_PATHS } from '../ground/cluster.js';
import { pending, waitFor } from '../toolkit/wait-for.js';
import { labNow } from '../toolkit/lab-clock.js';
import { nodeEvidence, type ScenarioContext } from './context.js';
import { startUpdateOperator } from './update-operator.js';

/** The lab's Kubernetes as a scenario sees it after `bootstrap`: the asset dir and the admin client. */
export interface KubeState {
  assetDir: string;
  kc: KubeConfig;
}

/** The admin client of a lab whose assets were rendered by `bootstrap`. */
export function kubeOf(ctx: ScenarioContext): KubeState {
  if (!ctx.kube) throw new LabError('this step needs the Kubernetes API, but the scenario has not run `bootstrap` yet', 'add a `bootstrap` step before it', 2);
  return ctx.kube;
}

async function withSessions<T>(ctx: ScenarioContext, nodes: NodeSpec[], fn: (sessions: NodeSession[]) => Promise<T>): Promise<T> {
  const sessions = await Promise.all(nodes.map(async (n) => connectNode(await nodeSshTarget(ctx.lab, n, ctx.paths, ctx.timeoutScale))));
  try {
    return await fn(sessions);
  } finally {
    await Promise.all(sessions.map((s) => s.close().catch(() => {})));
  }
}

/**
 * `bootkube start` on the asset dir `up` rendered: gives every kubelet its kubeconfig (which
 * starts it, as kubelet.path waits for it), runs the temporary control plane on the first
 * controller and pivots to the self-hosted one; in a lab with updates, then starts the update
 * operator and the rollout guard; all by `deadline`. The log goes to the report and to
 * `bootkube.log` in the lab dir.
 */
export async function bootstrap(ctx: ScenarioContext, deadline: number): Promise<PivotResult> {
  const { lab, paths } = ctx;
  const assets = await readAssetDir(paths.bootkube);
  const kc = loadKubeconfig(path.join(paths.bootkube, 'auth', 'kubeconfig'));
  ctx.kube = { assetDir: paths.bootkube, kc };

  const logFile = paths.bootkubeLog;
  const { controllers } = labModel(lab);
  const pivot = await withSessions(ctx, lab.nodes, async (sessions) => {
    const shells = sessions.map((s) => sshNodeShell(s));
    await Promise.all(
      lab.nodes.map((node, i) =>
        shells[i]!.writeFile(NODE_PATHS.kubeconfig, assets.get(`auth/kubelet/${node.name}.kubeconfig`)!, 0o600),
      ),
    );
    ctx.report.info(`kubeconfigs copied: the kubelets of ${lab.nodes.map((n) => n.name).join(', ')} start`);
    return bootkubeStart({
      kc,
      assets,
      first: shells[lab.nodes.indexOf(controllers[0]!)]!,
      controllers: controllers.map((c) => shells[lab.nodes.indexOf(c)]!),
      log: (line) => {
        ctx.report.info(line);
        // Synchronously, so the file keeps the lines in order.
        appendFileSync(logFile, `${line}\n`);
      },
      deadline,
      signal: ctx.signal,
    });
  });
  if (lab.updates) await startUpdateOperator(ctx, kc, deadline);
  return pivot;
}

const BOOT_ID = 'cat /proc/sys/kernel/random/boot_id';

async function bootId(ctx: ScenarioContext, node: NodeSpec): Promise<string | undefined> {
  try {
    return await withSessions(ctx, [node], async ([s]) => (await s!.run(BOOT_ID, { timeoutMs: 10_000 })).stdout.trim() || undefined);
  } catch {
    return undefined;
  }
}

/**
 * Every node (or those named) reboots at once, as bootkube's e2e did with `sudo reboot`; done
 * when each answers SSH again with a new boot id (so a later wait cannot see the old system).
 */
export async function rebootNodes(ctx: ScenarioContext, nodes: NodeSpec[], deadline: number): Promise<string> {
  const before = await withSessions(ctx, nodes, (sessions) =>
    Promise.all(
      sessions.map(async (s) => {
        const id = (await s.run(BOOT_ID, { timeoutMs: 10_000 })).stdout.trim();
        // The connection drops as the node goes down; that is the expected end of the command.
        await s.run('sudo -n systemctl reboot', { timeoutMs: 15_000 }).catch(() => undefined);
        return id;
      }),
    ),
  );
  const started = Date.now();
  await Promise.all(
    nodes.map((node, i) =>
      waitFor(`${node.name} to come back from its reboot`, async () => {
        const id = await bootId(ctx, node);
        return id && id !== before[i] ? id : undefined;
      }, { deadline, intervalMs: 3000, evidence: () => nodeEvidence(ctx, node), signal: ctx.signal }),
    ),
  );
  return `rebooted ${nodes.map((n) => n.name).join(', ')} at once; all back on SSH with new boot ids after ${Math.round((Date.now() - started) / 1000)}s`;
}

/**
 * The kubelet's /healthz twice: through the API server's node proxy (apiserver -> kubelet :10250,
 * authenticated, with @kubernetes/client-node) and on the kubelet's healthz port from the host.
 */
export async function kubeletHealth(ctx: ScenarioContext, node: NodeSpec): Promise<string> {
  const viaApi = await kubeOf(ctx).kc.makeApiClient(CoreV1Api).connectGetNodeProxyWithPath({ name: node.name, path: 'healthz' });
  const url = `http://${node.ip}:${KUBELET_HEALTHZ_PORT}/healthz`;
  const direct = await fetch(url, { signal: AbortSignal.timeout(10_000) }).then(async (r) => `${r.status} ${(await r.text()).trim()}`);
  if (String(viaApi).trim() !== 'ok' || direct !== '200 ok') throw new LabError(`kubelet healthz: node proxy said "${String(viaApi).trim()}", ${url} said "${direct}"`, `look at the kubelet: metal-lab ssh ${node.name} -- journalctl -u kubelet`);
  return `healthz ok via the API's node proxy and ${url}`;
}

/**
 * The node's own kube-apiserver answers /readyz (its etcd included) to the admin's credentials;
 * workers run none. A failure names the checks /readyz says failed.
 */
export async function apiAnswers(ctx: ScenarioContext, node: NodeSpec): Promise<string> {
  if (node.role !== 'controller') return 'no API server on workers';
  const server = `https://${node.ip}:${APISERVER_PORT}`;
  const { status, body } = await apiGet(kubeOf(ctx).kc, '/readyz?verbose', 10_000 * ctx.timeoutScale, server);
  if (status === 200) return `${server}/readyz ok`;
  const failed = body.split('\n').filter((l) => l.startsWith('[-]')).map((l) => l.slice(3).trim());
  throw new LabError(`${server}/readyz answered HTTP ${status}${failed.length ? `: failed ${failed.join(', ')}` : ''}`, `look at etcd and the API server: metal-lab ssh ${node.name} -- journalctl -u etcd -u kubelet`);
}

/**
 * The API as its clients reach it: the lab's DNS resolves the API name to every controller, and
 * /readyz answers through the host's front door, whichever controller is behind it. Patient: the
 * door passes over a controller that went away only once a connection to it fails.
 */
export async function apiThroughName(ctx: ScenarioContext): Promise<string> {
  const { apiName } = controlPlane(ctx.lab);
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([ctx.lab.network.gateway]);
  const resolved = (await resolver.resolve4(apiName)).sort();
  const controllers = labModel(ctx.lab).controllers.map((n) => n.ip).sort();
  if (resolved.join() !== controllers.join()) {
    throw new LabError(`${apiName} resolves to ${resolved.join(', ')}, not to every controller (${controllers.join(', ')})`, `look at the lab network's DNS: virsh net-dumpxml ${labObjectNames(ctx.lab).network}`);
  }
  const { kc } = kubeOf(ctx);
  const door = kc.getCurrentCluster()?.server;
  await waitFor(`${apiName} to answer /readyz through ${door}`, async () => {
    const { status, body } = await apiGet(kc, '/readyz', 10_000 * ctx.timeoutScale);
    return status === 200 || pending(`HTTP ${status}: ${body.trim().slice(0, 200)}`);
  }, { deadline: labNow() + 60_000 * ctx.timeoutScale, intervalMs: 2000, ...API_WAIT, signal: ctx.signal });
  return `${apiName} resolves to ${resolved.join(', ')}; /readyz ok through the front door ${door}`;
}

/** Ready=True for the node, read through the API; undefined while it is not (for waits). */
export async function nodeReady(ctx: ScenarioContext, node: NodeSpec): Promise<string> {
  const [line] = await nodesReady(kubeOf(ctx).kc, [node.name]);
  return line!;
}

const lines = (l: string[]) => l.join('; ');

/** The traffic pods the network checks use: busybox httpd, one on every node of the lab. */
async function trafficOptions(ctx: ScenarioContext): Promise<TrafficOptions> {
  const busybox = (await readKubeAssets(ctx.paths)).images.find((i) => i.ref.includes('/busybox:'));
  if (!busybox) throw new LabError('the lab loaded no busybox image', 'bring the lab up again with `up --boot install`');
  return {
    namespace: 'default',
    nodes: ctx.lab.nodes.map((n) => n.name),
    busyboxTag: busybox.ref.split(':').pop()!,
    timeoutMs: 120_000 * ctx.timeoutScale,
    execTimeoutMs: 30_000 * ctx.timeoutScale,
  };
}

/** The scenario's cluster-wide Kubernetes checks (the API side lives in src/kube/health.ts). */
export const KUBE_LAB_CHECKS = {
  'api-name': apiThroughName,
  'self-hosted': async (ctx: ScenarioContext) => lines(await selfHostedPlane(kubeOf(ctx).kc, { timeoutMs: 60_000 * ctx.timeoutScale })),
  'pod-network': async (ctx: ScenarioContext) => lines(await crossNodePodTraffic(kubeOf(ctx).kc, await trafficOptions(ctx))),
  'cluster-dns': async (ctx: ScenarioContext) => lines(await serviceByName(kubeOf(ctx).kc, { ...(await trafficOptions(ctx)), apiServiceIp: kubeServiceIp() })),
  'apiserver-recovers': async (ctx: ScenarioContext) => lines(await apiserverPodsComeBack(kubeOf(ctx).kc, 120_000 * ctx.timeoutScale)),
};
