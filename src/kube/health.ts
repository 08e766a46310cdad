import { randomBytes } from 'node:crypto';
import { AppsV1Api, CoordinationV1Api, CoreV1Api, KubernetesObjectApi, type KubeConfig, type V1Deployment, type V1Node, type V1Pod } from '@kubernetes/client-node';
import { LabError } from '../errors.js';
import { CONTROLLER_LABEL, imageRef } from '../ground/cluster.js';
import { pending, waitFor, type Pending } from '../toolkit/wait-for.js';
import { labNow } from '../toolkit/lab-clock.js';
import { API_WAIT, apiHealthz, createObjects, execInPod, isStatus, listNodes, listPods, type ApiObject } from './client.js';
import {
  bootstrapPods,
  CONTROL_PLANE_NAMESPACE,
  controllersWithoutApiserver,
  describePod,
  isRunning,
  orphanCheckpoints,
  podName,
  SELF_HOSTED_COMPONENTS,
  selfHostedPods,
  selfHostedStatus,
  workloadOwner,
} from './pods.js';

/**
 * The scenario's cluster checks. Each resolves with evidence lines and rejects with a LabError
 * saying what it saw. Those that wait take their timeouts as parameters (TCG is slow).
 */

export interface Patience {
  /** 0: check once. */
  timeoutMs?: number;
  intervalMs?: number;
}

/** Polls a check until it passes, or throws its last finding; timeoutMs 0 checks once. */
async function check<T>(what: string, fn: () => Promise<T | Pending>, p: Patience = {}): Promise<T> {
  return waitFor(what, fn, { deadline: labNow() + (p.timeoutMs ?? 0), intervalMs: p.intervalMs ?? 5000, ...API_WAIT });
}

export function nodeReady(n: V1Node): string {
  const c = n.status?.conditions?.find((x) => x.type === 'Ready');
  return c ? `Ready=${c.status}${c.status === 'True' ? '' : ` (${c.reason ?? 'no reason'})`}` : 'no Ready condition';
}

/** Where kubelets keep their heartbeat leases. */
const NODE_LEASE_NAMESPACE = 'kube-node-lease';

/** Every named node is registered and Ready. */
export async function nodesReady(kc: KubeConfig, names: readonly string[], p?: Patience): Promise<string[]> {
  return check(`nodes ${names.join(', ')} Ready`, async () => {
    const nodes = new Map((await listNodes(kc)).map((n) => [n.metadata?.name ?? '', n]));
    const lines = names.map((name) => `${name}: ${nodes.has(name) ? nodeReady(nodes.get(name)!) : 'not registered'}`);
    return lines.every((l) => l.endsWith(': Ready=True')) ? lines : pending(lines.join('; '));
  }, p);
}

/**
 * Every named node is Ready and its kubelet renewed its lease (kube-node-lease) at or after
 * `sinceMs`: proof the kubelets run now, where Ready alone may be what a restored etcd remembered.
 */
export async function nodesRenewedSince(kc: KubeConfig, names: readonly string[], sinceMs: number, p?: Patience): Promise<string[]> {
  const leases = kc.makeApiClient(CoordinationV1Api);
  return check(`nodes ${names.join(', ')} Ready, their leases renewed`, async () => {
    const [nodes, list] = await Promise.all([listNodes(kc), leases.listNamespacedLease({ namespace: NODE_LEASE_NAMESPACE })]);
    const byName = new Map(nodes.map((n) => [n.metadata?.name ?? '', n]));
    const renewed = new Map(list.items.map((l) => [l.metadata?.name ?? '', l.spec?.renewTime ? new Date(l.spec.renewTime).getTime() : 0]));
    const lines = names.map((name) => {
      const node = byName.get(name);
      if (!node) return { ok: false, line: `${name}: not registered` };
      const ready = nodeReady(node);
      const at = renewed.get(name) ?? 0;
      const lease = at >= sinceMs ? `lease renewed ${Math.round((at - sinceMs) / 1000)}s after` : at ? `lease last renewed ${Math.round((sinceMs - at) / 1000)}s before` : 'no lease';
      return { ok: ready === 'Ready=True' && at >= sinceMs, line: `${name}: ${ready}, ${lease}` };
    });
    const text = lines.map((l) => l.line);
    return lines.every((l) => l.ok) ? text : pending(text.join('; '));
  }, p);
}

/**
 * The control plane hosts itself: apiserver, scheduler and controller-manager pods Running and
 * owned by their DaemonSet/ReplicaSet, no bootstrap pod, no checkpoint without a Running parent.
 */
export async function selfHostedPlane(kc: KubeConfig, p?: Patience): Promise<string[]> {
  return check('a self-hosted control plane (an apiserver on every controller, no bootstrap pod, no orphaned checkpoint)', async () => {
    const [pods, nodes] = await Promise.all([listPods(kc, CONTROL_PLANE_NAMESPACE), listNodes(kc)]);
    const controllers = nodes.filter((n) => n.metadata?.labels?.[CONTROLLER_LABEL] === 'true').map((n) => n.metadata?.name ?? '?');
    const uncovered = controllersWithoutApiserver(pods, controllers);
    const status = selfHostedStatus(pods);
    const owners = SELF_HOSTED_COMPONENTS.flatMap((c) => selfHostedPods(pods, c).map((pod) => `${podName(pod)} owned by ${workloadOwner(pod)}`));
    const bootstrap = bootstrapPods(pods);
    const orphans = orphanCheckpoints(pods);
    const problems = [
      ...(status.ready ? [] : status.lines),
      ...(uncovered.length ? [`no Running kube-apiserver pod on controller ${uncovered.join(', ')}`] : []),
      ...(bootstrap.length ? [`bootstrap pods left: ${bootstrap.map(describePod).join(', ')}`] : []),
      ...(orphans.length ? [`checkpoints without a Running parent: ${orphans.map(describePod).join(', ')}`] : []),
    ];
    if (problems.length) return pending(problems.join('; '));
    return [...status.lines, ...owners, `kube-apiserver on every controller: ${controllers.join(', ')}`, 'bootstrap pods: none', 'orphaned checkpoints: none'];
  }, p);
}

export interface TrafficOptions {
  namespace: string;
  /** One pod lands on each of these nodes. */
  nodes: readonly string[];
  /** The busybox image tag the lab loaded on the nodes. */
  busyboxTag: string;
  /** Until every pod runs (image import and start under TCG). */
  timeoutMs?: number;
  execTimeoutMs?: number;
}

const TRAFFIC_APP = 'metal-lab-traffic';
const HTTP_PORT = 8080;

/**
 * The traffic pods of one check carry its own `use` label beside the app's: the Deployment an
 * earlier check deleted leaves pods Running until the garbage collector gets to them, and a check
 * that took one of those lost its exec when it was killed.
 */
function trafficLabels(use: string): Record<string, string> {
  return { app: TRAFFIC_APP, use };
}

/** One busybox httpd per node, answering with its own pod name. */
export function trafficDeployment(o: Pick<TrafficOptions, 'namespace' | 'nodes' | 'busyboxTag'>, use: string): V1Deployment & ApiObject {
  const labels = trafficLabels(use);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: TRAFFIC_APP, namespace: o.namespace, labels },
    spec: {
      replicas: o.nodes.length,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          affinity: {
            nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [...o.nodes] }] }] } },
            podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' }] },
          },
          // Controllers carry the control plane's taint; one pod must land there too.
          tolerations: [{ operator: 'Exists' }],
          terminationGracePeriodSeconds: 1,
          containers: [{
            name: 'httpd',
            image: imageRef('busybox', o.busyboxTag),
            // The lab loads images into containerd; there is no registry to pull from.
            imagePullPolicy: 'Never',
            env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
            command: ['sh', '-c', `mkdir -p /www && echo "$POD_NAME" > /www/index.html && exec httpd -f -p ${HTTP_PORT} -h /www`],
            ports: [{ containerPort: HTTP_PORT }],
          }],
        },
      },
    },
  };
}

/** The traffic pods of one use, once there is one Running with an IP on every node. */
export async function waitForTrafficPods(kc: KubeConfig, o: Pick<TrafficOptions, 'namespace' | 'nodes' | 'timeoutMs'>, use: string): Promise<V1Pod[]> {
  const labelSelector = Object.entries(trafficLabels(use)).map(([k, v]) => `${k}=${v}`).join(',');
  return check(`one ${TRAFFIC_APP} pod Running on each of ${o.nodes.join(', ')}`, async () => {
    const pods = (await listPods(kc, o.namespace, { labelSelector })).filter((pod) => !pod.metadata?.deletionTimestamp);
    const ready = o.nodes.map((n) => pods.find((pod) => pod.spec?.nodeName === n && isRunning(pod) && pod.status?.podIP));
    if (ready.every(Boolean)) return ready as V1Pod[];
    return pending(pods.length ? pods.map(describePod).join(', ') : 'no pod yet');
  }, { timeoutMs: o.timeoutMs ?? 10 * 60_000, intervalMs: 3000 });
}

/**
 * The traffic pods, one per node, for `fn`; the Deployment and the `extra` objects beside it are
 * removed after. `extra` gets the selector of this use's pods (a Service).
 */
async function withTrafficPods<T>(kc: KubeConfig, o: TrafficOptions, fn: (pods: V1Pod[]) => Promise<T>, extra: (labels: Record<string, string>) => ApiObject[] = () => []): Promise<T> {
  const use = randomBytes(4).toString('hex');
  const objects = [trafficDeployment(o, use), ...extra(trafficLabels(use))];
  // What an earlier check left (a crash, a Ctrl-C) goes first: the names are one per namespace.
  await removeObjects(kc, objects);
  await createObjects(kc, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.namespace } }, ...objects], { deadline: labNow() + (o.timeoutMs ?? 10 * 60_000) });
  try {
    return await fn(await waitForTrafficPods(kc, o, use));
  } finally {
    await removeObjects(kc, objects);
  }
}

/** Deletes the objects if they exist; their dependents (a Deployment's pods) go in the background. */
async function removeObjects(kc: KubeConfig, objects: readonly ApiObject[]): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  for (const obj of objects) await client.delete(obj, undefined, undefined, undefined, undefined, 'Background').catch(() => {});
}

/**
 * A raw HTTP request through nc, and the body it got: Debian's static busybox wget looks the
 * "http" service up through glibc's NSS, which a static binary in a scratch image cannot load (it
 * segfaults). nc resolves a host name through glibc's resolver, with the pod's search path.
 */
async function httpFromPod(kc: KubeConfig, o: TrafficOptions, from: V1Pod, host: string): Promise<{ got: string; said: string }> {
  const request = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 10 ${host} ${HTTP_PORT}`;
  const r = await execInPod(kc, o.namespace, podName(from), 'httpd', ['sh', '-c', request], o.execTimeoutMs ?? 60_000);
  const got = r.stdout.split(/\r?\n\r?\n/).slice(1).join('\n').trim();
  return { got, said: got || r.stderr.trim() || r.message };
}

/**
 * Pod-to-pod traffic across nodes: from each pod, HTTP to every other pod's IP returns that
 * pod's name. Proves the per-node bridges and the routes between nodes carry pod traffic.
 */
export async function crossNodePodTraffic(kc: KubeConfig, o: TrafficOptions): Promise<string[]> {
  if (o.nodes.length < 2) throw new LabError('cross-node pod traffic needs at least two nodes', 'pass two or more node names');
  return withTrafficPods(kc, o, async (pods) => {
    const evidence: string[] = [];
    for (const from of pods) {
    for (const to of pods.filter((q) => q !== from)) {
      const { got, said } = await httpFromPod(kc, o, from, to.status!.podIP!);
      const line = `${podName(from)}@${from.spec?.nodeName} -> http://${to.status!.podIP}:${HTTP_PORT}/ (${podName(to)}@${to.spec?.nodeName}): ${said}`;
      if (got !== podName(to)) throw new LabError(`pod traffic across nodes failed: ${line}`, 'look at the pod network add-on (kubectl -n kube-system logs ds/pod-network) and ip route on each node');
      evidence.push(line);
    }
    }
    return evidence;
  });
}

/**
 * Cluster DNS and a Service, as a pod uses them: from the pod on each node, the API's own name
 * resolves to the kubernetes Service's address, and HTTP to the traffic pods' Service by its short
 * name (the pod's search path, kube-proxy's rules) reaches one of them.
 */
export async function serviceByName(kc: KubeConfig, o: TrafficOptions & { apiServiceIp: string }): Promise<string[]> {
  const service = (selector: Record<string, string>): ApiObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: TRAFFIC_APP, namespace: o.namespace },
    spec: { selector, ports: [{ port: HTTP_PORT, targetPort: HTTP_PORT }] },
  });
  return withTrafficPods(kc, o, async (pods) => {
    const evidence: string[] = [];
    const names = new Set(pods.map(podName));
    const apiName = 'kubernetes.default.svc.cluster.local';
    for (const from of pods) {
      const at = `${podName(from)}@${from.spec?.nodeName}`;
      // Patient: the DNS pod, the Service's endpoints and kube-proxy's rules come up on their own time.
      const got = await check(`${at} to resolve ${apiName} and reach http://${TRAFFIC_APP}:${HTTP_PORT}/`, async () => {
        const r = await execInPod(kc, o.namespace, podName(from), 'httpd', ['nslookup', apiName], o.execTimeoutMs ?? 60_000);
        const addresses = [...r.stdout.matchAll(/^Address:\s*(\S+)$/gm)].map((m) => m[1]!).filter((a) => !a.includes(':53'));
        if (!addresses.includes(o.apiServiceIp)) return pending(`nslookup ${apiName} gave ${addresses.join(', ') || 'no address'}: ${(r.stdout + r.stderr).trim().split('\n').slice(-2).join(' ')}`);
        const { got: name, said } = await httpFromPod(kc, o, from, TRAFFIC_APP);
        return names.has(name) ? name : pending(`http://${TRAFFIC_APP}:${HTTP_PORT}/ (the Service by its short name) answered: ${said}`);
      }, { timeoutMs: o.timeoutMs, intervalMs: 5000 });
      evidence.push(`${at}: ${apiName} is ${o.apiServiceIp}; http://${TRAFFIC_APP}:${HTTP_PORT}/ answered by ${got}`);
    }
    return evidence;
  }, (labels) => [service(labels)]);
}

/**
 * Deletes the self-hosted kube-apiserver pods and waits, through the outage, until the API
 * answers again and the DaemonSet has a Running pod of its own on every node it wants.
 */
export async function apiserverPodsComeBack(kc: KubeConfig, timeoutMs: number, intervalMs = 5000): Promise<string[]> {
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const before = selfHostedPods(await listPods(kc, CONTROL_PLANE_NAMESPACE), 'kube-apiserver');
  if (before.length === 0) throw new LabError('there is no self-hosted kube-apiserver pod to delete', 'run the pivot first (bootkube start)');
  const gone = new Set(before.map((pod) => pod.metadata?.uid));
  const started = Date.now();
  for (const pod of before) {
    // The API may already be down after the first deletion on a single controller.
    await core.deleteNamespacedPod({ name: podName(pod), namespace: CONTROL_PLANE_NAMESPACE }).catch((err: unknown) => {
      if (!isStatus(err, 404) && pod === before[0]) throw err;
    });
  }
  const after = await check('the API and new kube-apiserver DaemonSet pods Running', async () => {
    const h = await apiHealthz(kc);
    if (!h.ok) return pending(`/healthz HTTP ${h.status}`);
    const ds = await apps.readNamespacedDaemonSet({ name: 'kube-apiserver', namespace: CONTROL_PLANE_NAMESPACE });
    const want = ds.status?.desiredNumberScheduled ?? before.length;
    const fresh = selfHostedPods(await listPods(kc, CONTROL_PLANE_NAMESPACE), 'kube-apiserver').filter((pod) => !gone.has(pod.metadata?.uid));
    const running = fresh.filter(isRunning);
    if (running.length >= want && want > 0) return running;
    return pending(`${running.length}/${want} new pods Running${fresh.length ? `: ${fresh.map(describePod).join(', ')}` : ''}`);
  }, { timeoutMs, intervalMs });
  return [
    `deleted: ${before.map(describePod).join(', ')}`,
    `back: ${after.map(describePod).join(', ')}`,
    `API and apiserver pods back after ${Math.round((Date.now() - started) / 1000)}s`,
  ];
}

/**
 * The controller-manager's controllers act, each with its own ServiceAccount's token: a new
 * namespace gets its `default` ServiceAccount from the serviceaccount controller. Ready nodes and
 * a Running controller-manager pod do not show that (a restored one may hold expired tokens).
 */
export async function controllersAct(kc: KubeConfig, p?: Patience): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const ns = await core.createNamespace({ body: { metadata: { generateName: 'metal-lab-probe-', labels: { 'metal-lab.dev/probe': 'controllers' } } } });
  const name = ns.metadata!.name!;
  const started = labNow();
  try {
    await check(`the serviceaccount controller to give namespace ${name} its default ServiceAccount`, async () =>
      core.readNamespacedServiceAccount({ name: 'default', namespace: name }).then(() => true, () => pending('no default ServiceAccount yet')), p);
    return `the serviceaccount controller gave namespace ${name} its default ServiceAccount in ${Math.round((labNow() - started) / 1000)}s`;
  } finally {
    await core.deleteNamespace({ name }).catch(() => undefined);
  }
}
