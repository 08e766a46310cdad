import { toYaml } from './objects.js';

/** kubeconfig files: one cluster, one user, one context, as kubectl and every component read them. */

/** Where Kubernetes mounts a pod's ServiceAccount token and the cluster CA. */
export const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

type ClusterCa = { 'certificate-authority-data': string } | { 'certificate-authority': string };
type User =
  | { 'client-certificate-data': string; 'client-key-data': string }
  | { 'client-certificate': string; 'client-key': string }
  | { tokenFile: string };

const b64 = (text: string) => Buffer.from(text).toString('base64');

/**
 * The API server a kubeconfig names: its URL, and the name its certificate must carry when the URL
 * names a door in front of it (the host's API front door) rather than the API name itself.
 */
export interface ApiServer {
  url: string;
  tlsServerName?: string;
}

function kubeconfig(cluster: string, server: ApiServer, ca: ClusterCa, userName: string, user: User): string {
  const context = `${userName}@${cluster}`;
  const tlsServerName = server.tlsServerName ? { 'tls-server-name': server.tlsServerName } : {};
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: cluster, cluster: { server: server.url, ...tlsServerName, ...ca } }],
    users: [{ name: userName, user }],
    contexts: [{ name: context, context: { cluster, user: userName } }],
    'current-context': context,
  });
}

/** Self-contained: CA, certificate and key embedded (the host's admin, each node's kubelet). */
export function embeddedKubeconfig(cluster: string, server: ApiServer, caPem: string, userName: string, certPem: string, keyPem: string): string {
  return kubeconfig(cluster, server, { 'certificate-authority-data': b64(caPem) }, userName, {
    'client-certificate-data': b64(certPem),
    'client-key-data': b64(keyPem),
  });
}

/** Points at files in `dir` (ca.crt, <user>.crt/.key) instead of copying the key into a second file. */
export function fileKubeconfig(cluster: string, server: ApiServer, dir: string, userName: string): string {
  return kubeconfig(cluster, server, { 'certificate-authority': `${dir}/ca.crt` }, userName, {
    'client-certificate': `${dir}/${userName}.crt`,
    'client-key': `${dir}/${userName}.key`,
  });
}

/** A pod's own ServiceAccount identity against an explicit server, for pods that must not depend on the Service IP. */
export function serviceAccountKubeconfig(cluster: string, server: ApiServer): string {
  return kubeconfig(cluster, server, { 'certificate-authority': `${SA_DIR}/ca.crt` }, 'serviceaccount', { tokenFile: `${SA_DIR}/token` });
}
