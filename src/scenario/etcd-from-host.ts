import https from 'node:https';
import type { NodeSpec } from '../ground/lab-spec.js';
import { ensureLabPki } from '../pki/ensure.js';
import type { LabAccess } from './on-node.js';

/**
 * A request to a controller's etcd client port from the host, across the lab bridge, with the
 * lab's etcd client certificate, as the Kubernetes API server makes them: GET without a body, else
 * a POST of JSON to etcd's v3 gateway. Resolves with the parsed answer of a 200.
 */
export async function etcdFromHost(at: LabAccess, node: NodeSpec, path: string, body?: object, timeoutMs = 10_000): Promise<unknown> {
  const pki = await ensureLabPki(at.lab, { dir: at.paths.pki });
  const client = pki.certs['etcd/client']!;
  const payload = body ? JSON.stringify(body) : undefined;
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: node.ip,
        port: 2379,
        path,
        method: payload ? 'POST' : 'GET',
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
        ca: pki.certs['etcd-ca']!.certPem,
        cert: client.certPem,
        key: client.key.reveal(),
        servername: node.name,
        timeout: timeoutMs,
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          try {
            if (res.statusCode !== 200) throw new Error();
            resolve(JSON.parse(text));
          } catch {
            reject(new Error(`${node.name}: ${path} answered ${res.statusCode}: ${text.slice(0, 200)}`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${node.name}: ${path} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
