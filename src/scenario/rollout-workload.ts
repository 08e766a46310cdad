import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { LabError } from '../errors.js';
import { API_WAIT, createObjects, listNodes, listPods, type ApiObject } from '../kube/client.js';
import { describePod } from '../kube/pods.js';
import { pending, waitFor } from '../toolkit/wait-for.js';

/**
 * The workload a rollout must not break: busybox httpd pods that answer with their own name,
 * one per node (a pod evicted by a drain waits for its node to come back rather than doubling
 * up on another, where the next drain would take two), behind a NodePort the host probes, with
 * a PodDisruptionBudget the drains must keep.
 */

export const WORKLOAD = { namespace: 'rollout-workload', name: 'web' } as const;
/** The budget's name as the rollout record keys it. */
export const WORKLOAD_BUDGET = `${WORKLOAD.namespace}/${WORKLOAD.name}`;
const PORT = 8080;
const labels = { app: WORKLOAD.name };

export interface WorkloadOptions {
  replicas: number;
  minAvailable: number;
  /** The busybox image the nodes preloaded. */
  image: string;
  /** policy/v1beta1 on the lab's Kubernetes 1.20. */
  budgetApiVersion: string;
  /**
   * The kubelet's readiness probe timeout: its 1 s default scaled for the accelerator, as every
   * lab deadline is: under TCG a busy node answers late (a run here had pods going unready on Ready nodes).
   */
  probeTimeoutS: number;
  /** Where the pods go first (preferred, not required: when those nodes fail the pods move on). */
  nodes?: string[];
  /** How long a pod stays bound to a node that stopped answering; Kubernetes' default is 300 s. */
  evictAfterS?: number;
}

/** A node's name as its hostname label holds it: the lab names its nodes' hosts after them. */
const HOSTNAME = 'kubernetes.io/hostname';

/** What the node lifecycle controller taints a node with when its kubelet stops reporting. */
const NODE_GONE_TAINTS = ['node.kubernetes.io/unreachable', 'node.kubernetes.io/not-ready'];

/** The namespace, Deployment, NodePort Service and PodDisruptionBudget, in the order to create them. */
export function workloadObjects(o: WorkloadOptions): ApiObject[] {
  const metadata = { name: WORKLOAD.name, namespace: WORKLOAD.namespace, labels };
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: WORKLOAD.namespace } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata,
      spec: {
        replicas: o.replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            affinity: {
              podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: labels }, topologyKey: HOSTNAME }] },
              ...(o.nodes ? { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: HOSTNAME, operator: 'In', values: o.nodes }] } }] } } : {}),
            },
            // The controllers' taints, and no more: a pod that tolerated every taint would be
            // scheduled back onto the cordoned node its drain just evicted it from. With
            // evictAfterS, the taints of a lost node for that long, where the API would add 300 s.
            tolerations: [
              ...['node-role.kubernetes.io/master', 'node-role.kubernetes.io/control-plane'].map((key) => ({ key, operator: 'Exists', effect: 'NoSchedule' })),
              ...(o.evictAfterS === undefined ? [] : NODE_GONE_TAINTS.map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: o.evictAfterS }))),
            ],
            terminationGracePeriodSeconds: 1,
            containers: [{
              name: 'httpd',
              image: o.image,
              // The lab loads images into containerd; there is no registry to pull from.
              imagePullPolicy: 'Never',
              env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              command: ['sh', '-c', `mkdir -p /www && echo "$POD_NAME" > /www/index.html && exec httpd -f -p ${PORT} -h /www`],
              ports: [{ containerPort: PORT }],
              readinessProbe: { httpGet: { path: '/', port: PORT }, periodSeconds: 2, timeoutSeconds: o.probeTimeoutS },
            }],
          },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata, spec: { type: 'NodePort', selector: labels, ports: [{ port: PORT, targetPort: PORT }] } },
    { apiVersion: o.budgetApiVersion, kind: 'PodDisruptionBudget', metadata, spec: { minAvailable: o.minAvailable, selector: { matchLabels: labels } } },
  ];
}

/** A pod's or node's Ready condition is True. */
const isReady = (conditions?: Array<{ type: string; status: string }>) => conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/**
 * Creates the workload and waits until a pod is Ready on `replicas` nodes and the disruption
 * controller counts them; resolves with the NodePort and where the pods run.
 */
export async function createWorkload(kc: KubeConfig, o: WorkloadOptions, deadline: number): Promise<{ nodePort: number; pods: string }> {
  await createObjects(kc, workloadObjects(o), { deadline });
  const service = await kc.makeApiClient(CoreV1Api).readNamespacedService({ ...WORKLOAD });
  const nodePort = service.spec?.ports?.[0]?.nodePort;
  if (!nodePort) throw new LabError(`Service ${WORKLOAD_BUDGET} got no node port`, 'look at the Service: kubectl -n rollout-workload get service web -o yaml');
  const version = o.budgetApiVersion.split('/')[1]!;
  const pods = await waitFor(
    `${o.replicas} ${WORKLOAD.name} pods Ready on as many nodes, counted by their PodDisruptionBudget`,
    async () => {
      const all = await listPods(kc, WORKLOAD.namespace, { labelSelector: `app=${WORKLOAD.name}` });
      const ready = all.filter((p) => isReady(p.status?.conditions));
      const budget = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({ group: 'policy', version, plural: 'poddisruptionbudgets', ...WORKLOAD })) as {
        status?: { currentHealthy?: number };
      };
      const counted = budget.status?.currentHealthy ?? 0;
      const nodes = new Set(ready.map((p) => p.spec?.nodeName));
      if (nodes.size >= o.replicas && counted >= o.replicas) return ready.map(describePod).join(', ');
      return pending(`${all.map(describePod).join(', ') || 'no pod yet'}; the budget counts ${counted} healthy`);
    },
    { deadline, intervalMs: 2000, ...API_WAIT },
  );
  return { nodePort, pods };
}

/** Why a pod of the workload does not count, or undefined when it does. */
function notCounted(p: V1Pod, readyNodes: Set<string | undefined>, lost: ReadonlySet<string>): string | undefined {
  const node = p.spec?.nodeName;
  if (p.metadata?.deletionTimestamp) return 'deleting';
  if (node && lost.has(node)) return `${node} cut off`;
  if (!node || !readyNodes.has(node)) return node ? `${node} not Ready` : 'unscheduled';
  return isReady(p.status?.conditions) ? undefined : 'not Ready';
}

/**
 * The workload at full strength: `replicas` pods Ready, each on a Ready node of its own. A pod
 * being deleted, on a node that is not Ready, or on one of `lost` (nodes the scenario cut off,
 * which the API may still call Ready for a while) does not count.
 */
export async function workloadReady(kc: KubeConfig, replicas: number, lost: ReadonlySet<string>): Promise<{ ready: boolean; line: string }> {
  const [pods, nodes] = await Promise.all([listPods(kc, WORKLOAD.namespace, { labelSelector: `app=${WORKLOAD.name}` }), listNodes(kc)]);
  const readyNodes = new Set(nodes.filter((n) => isReady(n.status?.conditions)).map((n) => n.metadata?.name));
  const why = new Map(pods.map((p) => [p, notCounted(p, readyNodes, lost)]));
  const serving = pods.filter((p) => why.get(p) === undefined);
  const others = pods.filter((p) => why.get(p) !== undefined).map((p) => `${describePod(p)} (${why.get(p)})`);
  const onNodes = new Set(serving.map((p) => p.spec?.nodeName)).size;
  const line = `${onNodes} of ${replicas} pods Ready on nodes of their own: ${serving.map(describePod).join(', ') || 'none'}${others.length ? `; not counted: ${others.join(', ')}` : ''}`;
  return { ready: onNodes >= replicas, line };
}
