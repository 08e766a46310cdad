import type { NodeSpec } from '../ground/lab-spec.js';
import type { LabPki } from '../pki/ensure.js';
import type { Secret } from '../pki/secret.js';

/**
 * What the lab copies to a node over SSH once it has booted, as Typhoon's copy-controller-secrets
 * does: Ignition is served over plain HTTP to whoever asks, so it carries no private key. Pure.
 */

/** Where etcd's TLS material lives on a controller. */
export const ETCD_TLS_DIR = '/etc/etcd/tls';

/** The file etcd.path waits for: copied last, so etcd starts with all of its files there. */
export const ETCD_SECRETS_READY = `${ETCD_TLS_DIR}/peer.key`;

export interface SecretFile {
  path: string;
  /** A key stays a Secret until it is written: it never shows in a log or a report. */
  contents: string | Secret;
  mode: number;
  owner: string;
}

/** A controller's etcd TLS files and etcdctl's client pair for `core`; none for a worker. */
export function nodeSecrets(node: NodeSpec, pki: LabPki): SecretFile[] {
  if (node.role !== 'controller') return [];
  const cert = (name: string) => pki.certs[name]!;
  const server = cert(`etcd/${node.name}-server`);
  const peer = cert(`etcd/${node.name}-peer`);
  const client = cert('etcd/client');
  const etcd = (name: string, contents: string | Secret, mode: number): SecretFile => ({ path: `${ETCD_TLS_DIR}/${name}`, contents, mode, owner: 'etcd' });
  return [
    // etcdctl as `core`, for the lab's checks over SSH.
    { path: '/home/core/.etcd/client.crt', contents: client.certPem, mode: 0o644, owner: 'core' },
    { path: '/home/core/.etcd/client.key', contents: client.key, mode: 0o600, owner: 'core' },
    etcd('ca.crt', cert('etcd-ca').certPem, 0o644),
    etcd('server.crt', server.certPem, 0o644),
    etcd('server.key', server.key, 0o600),
    etcd('peer.crt', peer.certPem, 0o644),
    etcd('peer.key', peer.key, 0o600),
  ];
}
