import { NODE_PATHS } from '../../ground/cluster.js';
import { clusterRoleBinding, configMap, meta, serviceAccount, type KubeObject } from './objects.js';
import { podTemplate } from './pod.js';
import { rewatchLoop } from './rewatch.js';

/**
 * The pod network as an add-on, as flannel's host-gw backend does it: a DaemonSet on every node
 * watches the Node objects, routes each other node's spec.podCIDR (allocated by the
 * controller-manager) via that node's address, and writes the node's own /24 into the bridge CNI
 * config the kubelet waits for. A node that joins later gets its routes with no lab change.
 */

export const POD_NETWORK = 'pod-network';
const KUBECONFIG_DIR = '/etc/kubernetes/kubeconfig';
export const CNI_CONFIG_FILE = '10-metal-lab.conflist';

/**
 * The DaemonSet's program (busybox sh, kubectl, ip). It reads CNI_CONF, NODE_NAME and KUBECONFIG.
 * No masquerading: every node routes every pod /24, so pod addresses stay visible across nodes.
 */
export const POD_NETWORK_SCRIPT = String.raw`set -u

conflist() {
  cat <<EOF
{
  "cniVersion": "0.4.0",
  "name": "metal-lab",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$1" }]], "routes": [{ "dst": "0.0.0.0/0" }] }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
EOF
}

# One line per Node event: type, name, pod CIDR, internal address.
events() {
  kubectl get nodes --watch --output-watch-events \
    -o jsonpath='{.type} {.object.metadata.name} {.object.spec.podCIDR} {.object.status.addresses[?(@.type=="InternalIP")].address}{"\n"}'
}


# Each Node event: this node's /24 into the CNI config, another's as a route via that node.
# The kernel's table is the state: a Node's heartbeat changes nothing, and a route the kernel
# flushed (the NIC reset by the lab's watchdog) is back with that node's next event.
apply() {
  while read -r event name cidr ip; do
    [ -n "$cidr" ] && [ -n "$ip" ] || continue
    if [ "$name" = "$NODE_NAME" ]; then
      conflist "$cidr" > "$CNI_CONF.tmp"
      if ! cmp -s "$CNI_CONF.tmp" "$CNI_CONF"; then mv "$CNI_CONF.tmp" "$CNI_CONF"; echo "pod network: this node's pods in $cidr ($CNI_CONF)"; fi
    elif [ "$event" = DELETED ]; then
      ip route del "$cidr" via "$ip" 2>/dev/null && echo "pod network: $name deleted, route $cidr via $ip removed"
    elif ! ip route show "$cidr" | grep -q "via $ip "; then
      ip route replace "$cidr" via "$ip" && echo "pod network: $name's pods $cidr via $ip"
    fi
  done
}
` + rewatchLoop('pod network (Nodes)', '  events | apply');

export function podNetworkObjects(kubeVersion: string, kubeconfigText: string): KubeObject[] {
  const template = podTemplate({
    image: 'addons',
    kubeVersion,
    container: { name: POD_NETWORK, command: ['sh', '-c', POD_NETWORK_SCRIPT] },
    args: [],
    labels: { tier: 'node', 'k8s-app': POD_NETWORK },
    env: [
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'KUBECONFIG', value: `${KUBECONFIG_DIR}/kubeconfig` },
      { name: 'CNI_CONF', value: `${NODE_PATHS.cniConfig}/${CNI_CONFIG_FILE}` },
    ],
    // Routes in the host's network namespace.
    privileged: true,
    mounts: [
      { name: 'kubeconfig', mountPath: KUBECONFIG_DIR, readOnly: true, source: { configMap: { name: `${POD_NETWORK}-kubeconfig` } } },
      { name: 'cni-config', mountPath: NODE_PATHS.cniConfig, source: { hostPath: { path: NODE_PATHS.cniConfig, type: 'DirectoryOrCreate' } } },
    ],
    priorityClassName: 'system-node-critical',
    serviceAccountName: POD_NETWORK,
  });
  return [
    serviceAccount(POD_NETWORK),
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: `metal-lab-${POD_NETWORK}` },
      rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }],
    },
    clusterRoleBinding(POD_NETWORK, `metal-lab-${POD_NETWORK}`, [POD_NETWORK]),
    configMap(`${POD_NETWORK}-kubeconfig`, { kubeconfig: kubeconfigText }),
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta(POD_NETWORK, { labels: template.metadata.labels }),
      spec: { selector: { matchLabels: template.metadata.labels }, template },
    },
  ];
}
