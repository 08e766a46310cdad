import { POD_CIDR } from '../../ground/cluster.js';
import { clusterRoleBinding, configMap, meta, serviceAccount, type KubeObject } from './objects.js';
import { podTemplate } from './pod.js';

/** kube-proxy on every node, iptables mode, as its ServiceAccount against the lab's API address. */

const KUBE_PROXY = 'kube-proxy';
const KUBECONFIG_DIR = '/etc/kubernetes/kubeconfig';

export function kubeProxyObjects(kubeVersion: string, kubeconfigText: string): KubeObject[] {
  const template = podTemplate({
    image: KUBE_PROXY,
    kubeVersion,
    labels: { tier: 'node', 'k8s-app': KUBE_PROXY },
    args: [
      `--cluster-cidr=${POD_CIDR}`,
      '--hostname-override=$(NODE_NAME)',
      `--kubeconfig=${KUBECONFIG_DIR}/kubeconfig`,
      '--proxy-mode=iptables',
    ],
    // The node name the kubelet registered, not the container's hostname guess.
    env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
    // iptables and conntrack in the host's network namespace; the lock is shared with the host's iptables users.
    privileged: true,
    mounts: [
      { name: 'kubeconfig', mountPath: KUBECONFIG_DIR, readOnly: true, source: { configMap: { name: `${KUBE_PROXY}-kubeconfig` } } },
      { name: 'lib-modules', mountPath: '/lib/modules', readOnly: true, source: { hostPath: { path: '/lib/modules' } } },
      { name: 'xtables-lock', mountPath: '/run/xtables.lock', source: { hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } } },
    ],
    priorityClassName: 'system-node-critical',
    serviceAccountName: KUBE_PROXY,
  });
  return [
    serviceAccount(KUBE_PROXY),
    clusterRoleBinding(KUBE_PROXY, 'system:node-proxier', [KUBE_PROXY]),
    configMap(`${KUBE_PROXY}-kubeconfig`, { kubeconfig: kubeconfigText }),
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta(KUBE_PROXY, { labels: template.metadata.labels }),
      spec: { selector: { matchLabels: template.metadata.labels }, template },
    },
  ];
}
