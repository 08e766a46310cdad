import { APISERVER_PORT, KUBE_SERVICE_CIDR, NODE_PATHS, NODE_POD_CIDR_BITS, POD_CIDR } from '../../ground/cluster.js';
import { BOOTSTRAP_KUBECONFIG } from '../../ground/bootkube-layout.js';
import { kubeMinor } from '../../ground/cluster.js';
import { clusterRoleBinding, configMap, meta, NAMESPACE, podLabels, serviceAccount, type KubeObject } from './objects.js';
import { podTemplate, secretsMount, type Mount, type PodTemplate } from './pod.js';
import type { TlsFile } from './tls.js';
import type { ApiServer } from './kubeconfig.js';

/** kube-controller-manager and kube-scheduler: bootstrap static pods and self-hosted Deployments. */

export const CONTROLLER_MANAGER = 'kube-controller-manager';
export const SCHEDULER = 'kube-scheduler';
export type Component = typeof CONTROLLER_MANAGER | typeof SCHEDULER;
type Stage = 'bootstrap' | 'self-hosted';

export const CONTROLLER_MANAGER_SECRET_FILES = ['ca.crt', 'ca.key', 'service-account.key'] as const satisfies readonly TlsFile[];

/** Both talk to the apiserver on their own node: the Service IP needs kube-proxy, which may not be up yet. */
export const LOCAL_APISERVER: ApiServer = { url: `https://127.0.0.1:${APISERVER_PORT}` };
/** ConfigMap with the ServiceAccount kubeconfig the self-hosted components share. */
export const KUBECONFIG_CONFIGMAP = 'control-plane-kubeconfig';
const KUBECONFIG_DIR = '/etc/kubernetes/kubeconfig';

export interface TimingOptions {
  kubeVersion: string;
  timeoutScale: number;
}

/**
 * Leader election keeps one active instance; the bootstrap and self-hosted instances share the
 * lock, so the self-hosted ones take over when the bootstrap pods go. Its client-go defaults
 * (15 s/10 s/2 s) grow with the accelerator's timeout scale: under TCG a renewal can take seconds.
 */
function leaderElectionFlags(scale: number): string[] {
  return [
    '--leader-elect=true',
    '--leader-elect-resource-lock=leases',
    `--leader-elect-lease-duration=${15 * scale}s`,
    `--leader-elect-renew-deadline=${10 * scale}s`,
    `--leader-elect-retry-period=${2 * scale}s`,
  ];
}

/**
 * No HTTP serving: two replicas (and the bootstrap instance) share a controller's host network,
 * so a fixed port would crash all but one. The insecure port exists until 1.23 (scheduler) and
 * 1.24 (controller-manager); the secure one is switched off with 0.
 */
function servingFlags(component: Component, kubeVersion: string): string[] {
  const insecureRemovedIn = component === SCHEDULER ? 23 : 24;
  return [...(kubeMinor(kubeVersion) < insecureRemovedIn ? ['--port=0'] : []), '--secure-port=0'];
}

function componentFlags(component: Component, secretsDir: string, kubeconfig: string, t: TimingOptions): string[] {
  const own =
    component === CONTROLLER_MANAGER
      ? [
          // Each node's /24 of the pod range, which the pod network add-on routes.
          '--allocate-node-cidrs=true',
          `--cluster-cidr=${POD_CIDR}`,
          `--node-cidr-mask-size=${NODE_POD_CIDR_BITS}`,
          `--cluster-signing-cert-file=${secretsDir}/ca.crt`,
          `--cluster-signing-key-file=${secretsDir}/ca.key`,
          '--configure-cloud-routes=false',
          `--kubeconfig=${kubeconfig}`,
          // Its 40 s default is kubelet's lease; under TCG a busy controller renews late, and a node
          // marked Unknown takes its pods out of every Service and PodDisruptionBudget.
          `--node-monitor-grace-period=${40 * t.timeoutScale}s`,
          `--root-ca-file=${secretsDir}/ca.crt`,
          `--service-account-private-key-file=${secretsDir}/service-account.key`,
          `--service-cluster-ip-range=${KUBE_SERVICE_CIDR}`,
          '--use-service-account-credentials=true',
        ]
      : [`--kubeconfig=${kubeconfig}`];
  return [...own, ...leaderElectionFlags(t.timeoutScale), ...servingFlags(component, t.kubeVersion)];
}

/**
 * The pod in either stage. Bootstrap: host files (TLS plus an admin kubeconfig) from the pivot's
 * copy. Self-hosted: its ServiceAccount through the shared kubeconfig ConfigMap, and the
 * controller-manager's keys from its Secret.
 */
export function componentPod(component: Component, stage: Stage, t: TimingOptions): PodTemplate {
  const labels = podLabels(component, stage);
  const mounts: Mount[] = [];
  let kubeconfig: string;
  let secretsDir = '';
  if (stage === 'bootstrap') {
    const secrets = secretsMount(stage, component);
    mounts.push(secrets);
    secretsDir = secrets.mountPath;
    kubeconfig = `${NODE_PATHS.bootstrapSecrets}/${BOOTSTRAP_KUBECONFIG}`;
  } else {
    if (component === CONTROLLER_MANAGER) {
      const secrets = secretsMount(stage, component);
      mounts.push(secrets);
      secretsDir = secrets.mountPath;
    }
    mounts.push({ name: 'kubeconfig', mountPath: KUBECONFIG_DIR, readOnly: true, source: { configMap: { name: KUBECONFIG_CONFIGMAP } } });
    kubeconfig = `${KUBECONFIG_DIR}/kubeconfig`;
  }
  const selfHosted = stage === 'self-hosted';
  return podTemplate({
    image: component,
    kubeVersion: t.kubeVersion,
    labels,
    args: componentFlags(component, secretsDir, kubeconfig, t),
    mounts,
    priorityClassName: 'system-cluster-critical',
    controllersOnly: selfHosted,
    ...(selfHosted
      ? {
          serviceAccountName: component,
          // Spread the replicas over controllers where there are several; one controller still runs both.
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: labels }, topologyKey: 'kubernetes.io/hostname' } },
              ],
            },
          },
        }
      : {}),
  });
}

export function componentDeployment(component: Component, t: TimingOptions): KubeObject {
  const template = componentPod(component, 'self-hosted', t);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(component, { labels: { tier: 'control-plane', 'k8s-app': component } }),
    spec: { replicas: 2, selector: { matchLabels: template.metadata.labels }, template },
  };
}

/** bootkube's: a voluntary disruption (drain) never takes the last instance. */
export function componentPdb(component: Component, t: TimingOptions): KubeObject {
  return {
    apiVersion: 'policy/v1beta1',
    kind: 'PodDisruptionBudget',
    metadata: meta(component),
    spec: { minAvailable: 1, selector: { matchLabels: componentPod(component, 'self-hosted', t).metadata.labels } },
  };
}

export function kubeconfigConfigMap(kubeconfigText: string): KubeObject {
  return configMap(KUBECONFIG_CONFIGMAP, { kubeconfig: kubeconfigText });
}

/**
 * Their ServiceAccounts get the built-in roles the component users have (plus the volume part of
 * scheduling, which 1.20 binds to the user system:kube-scheduler only), and a Role for the
 * leader-election lock: the built-in roles allow the lease names of the user identities, this
 * keeps the lock working whatever lock type or name a release defaults to.
 */
export function componentRbac(): KubeObject[] {
  const leaderElection = 'leader-election';
  const subject = (name: Component) => ({ kind: 'ServiceAccount', name, namespace: NAMESPACE });
  return [
    serviceAccount(CONTROLLER_MANAGER),
    serviceAccount(SCHEDULER),
    clusterRoleBinding(CONTROLLER_MANAGER, 'system:kube-controller-manager', [CONTROLLER_MANAGER]),
    clusterRoleBinding(SCHEDULER, 'system:kube-scheduler', [SCHEDULER]),
    clusterRoleBinding(`${SCHEDULER}-volume`, 'system:volume-scheduler', [SCHEDULER]),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta(leaderElection),
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update'] },
        { apiGroups: [''], resources: ['configmaps', 'endpoints'], verbs: ['get', 'list', 'watch', 'create', 'update'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(leaderElection),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: leaderElection },
      subjects: [subject(CONTROLLER_MANAGER), subject(SCHEDULER)],
    },
  ];
}
