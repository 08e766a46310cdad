import https from 'node:https';
import type { NodeSpec } from '../ground/lab-spec.js';
import { ensureLabPki } from '../pki/ensure.js';
import { ETCD_TLS_DIR } from '../render/ignition.js';
import { onNode, type LabAccess } from './on-node.js';

/** etcdctl on a node, as `core`, with the client cert Ignition put in its home. */
function etcdctl(args: string, endpoints = 'https://127.0.0.1:2379'): string {
  return `ETCDCTL_API=3 etcdctl --endpoints=${endpoints} --cacert=${ETCD_TLS_DIR}/ca.crt --cert=$HOME/.etcd/client.crt --key=$HOME/.etcd/client.key ${args}`;
}

export async function etcdHealth(at: LabAccess, node: NodeSpec): Promise<string> {
  // etcdctl 3.4 reports health on stderr.
  return (await onNode(at, node, `${etcdctl('endpoint health')} 2>&1`)).trim();
}

export async function etcdMembers(at: LabAccess, node: NodeSpec): Promise<Array<{ name: string; peerURLs: string[] }>> {
  const out = await onNode(at, node, etcdctl('member list -w json'));
  return (JSON.parse(out) as { members: Array<{ name: string; peerURLs: string[] }> }).members;
}

export async function etcdPut(at: LabAccess, node: NodeSpec, key: string, value: string): Promise<void> {
  await onNode(at, node, etcdctl(`put ${key} ${value}`));
}

/** A key read through one node's local endpoint, or undefined if absent. */
export async function etcdGet(at: LabAccess, node: NodeSpec, key: string): Promise<string | undefined> {
  const out = (await onNode(at, node, etcdctl(`get ${key} --print-value-only`))).trim();
  return out === '' ? undefined : out;
}

/**
 * GET /health on a controller's client port from the host, across the lab bridge, with the lab's
 * etcd client certificate: what the Kubernetes API server will do.
 */
export async function etcdHealthFromHost(at: LabAccess, node: NodeSpec): Promise<{ health: string }> {
  const pki = await ensureLabPki(at.lab, { dir: at.paths.pki });
  const client = pki.certs['etcd/client']!;
  return new Promise((resolve, reject) => {
    const req = https.get(
      {
        host: node.ip,
        port: 2379,
        path: '/health',
        ca: pki.certs['etcd-ca']!.certPem,
        cert: client.certPem,
        key: client.key.reveal(),
        servername: node.name,
        timeout: 10_000,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as { health: string });
          } catch {
            reject(new Error(`${node.name}: /health answered ${res.statusCode}: ${body.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${node.name}: /health timed out`)));
    req.on('error', reject);
  });
}
