import { CLUSTER_DOMAIN, clusterDnsIp, imageRef } from '../../ground/cluster.js';
import { clusterRoleBinding, meta, serviceAccount, type KubeObject } from './objects.js';
import { rewatchLoop } from './rewatch.js';

/**
 * Cluster DNS as an add-on, built as kube-dns was in the talk's day: dnsmasq answers on the
 * cluster DNS Service's address, and a companion container keeps its hosts file in step with the
 * Services through the API (kube-dns's kubedns and dnsmasq-nanny, in a few lines of sh). Debian
 * 12 has no CoreDNS package. Names outside the cluster domain get no answer: the lab network is
 * isolated, and the lab's own names are the nodes' business, not the pods'.
 */

export const CLUSTER_DNS = 'kube-dns';
const HOSTS_DIR = '/run/kube-dns';
const HOSTS_FILE = `${HOSTS_DIR}/services`;
const DNS_PORT = 53;

/**
 * The companion's program (busybox sh, kubectl in-cluster): one `<clusterIP> <name>.<namespace>.svc.<domain>`
 * line per Service, rewritten on every Service event, and dnsmasq told to read it again.
 */
export const CLUSTER_DNS_SCRIPT = String.raw`set -u
write() {
  kubectl get services --all-namespaces \
    -o jsonpath='{range .items[*]}{.spec.clusterIP} {.metadata.name}.{.metadata.namespace}.svc.'"$DOMAIN"'{"\n"}{end}' > "$HOSTS.tmp" || return 1
  grep -v -e '^None ' -e '^ ' "$HOSTS.tmp" > "$HOSTS.new"
  mv "$HOSTS.new" "$HOSTS"
  killall -HUP dnsmasq && echo "cluster dns: $(wc -l < "$HOSTS") Services in $DOMAIN"
}
` + rewatchLoop('cluster dns (Services)', String.raw`  kubectl get services --all-namespaces --watch --output-watch-events -o jsonpath='{.type} {.object.metadata.name}{"\n"}' |
    while read -r _; do write; done`);

export function clusterDnsObjects(kubeVersion: string): KubeObject[] {
  const labels = { 'k8s-app': CLUSTER_DNS };
  const image = imageRef('addons', kubeVersion);
  const hosts = { name: 'hosts', mountPath: HOSTS_DIR };
  const dnsmasq = [
    'dnsmasq', '--keep-in-foreground', '--log-facility=-', '--user=root', '--group=root', '--pid-file=/tmp/dnsmasq.pid',
    // Only the Services' names: no upstream server, no /etc/hosts, nothing cached that a Service change would leave stale.
    '--no-resolv', '--no-hosts', `--addn-hosts=${HOSTS_FILE}`, `--local=/${CLUSTER_DOMAIN}/`, '--domain-needed', '--no-negcache',
  ];
  return [
    serviceAccount(CLUSTER_DNS),
    // The built-in role kube-dns had: list and watch Services and Endpoints.
    clusterRoleBinding(CLUSTER_DNS, 'system:kube-dns', [CLUSTER_DNS]),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(CLUSTER_DNS, { labels: { ...labels, 'kubernetes.io/name': 'KubeDNS' } }),
      spec: {
        selector: labels,
        clusterIP: clusterDnsIp(),
        ports: [
          { name: 'dns', port: DNS_PORT, protocol: 'UDP' },
          { name: 'dns-tcp', port: DNS_PORT, protocol: 'TCP' },
        ],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(CLUSTER_DNS, { labels }),
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: 'system-cluster-critical',
            serviceAccountName: CLUSTER_DNS,
            // The companion signals dnsmasq: one process namespace for the pod.
            shareProcessNamespace: true,
            // Not the cluster's DNS for itself: that is this pod.
            dnsPolicy: 'Default',
            containers: [
              {
                name: 'dnsmasq',
                image,
                imagePullPolicy: 'Never',
                command: dnsmasq,
                ports: [{ name: 'dns', containerPort: DNS_PORT, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: DNS_PORT, protocol: 'TCP' }],
                readinessProbe: { tcpSocket: { port: DNS_PORT }, periodSeconds: 10 },
                volumeMounts: [hosts],
              },
              {
                name: 'services',
                image,
                imagePullPolicy: 'Never',
                command: ['sh', '-c', CLUSTER_DNS_SCRIPT],
                env: [{ name: 'HOSTS', value: HOSTS_FILE }, { name: 'DOMAIN', value: CLUSTER_DOMAIN }],
                volumeMounts: [hosts],
              },
            ],
            volumes: [{ name: hosts.name, emptyDir: {} }],
          },
        },
      },
    },
  ];
}
