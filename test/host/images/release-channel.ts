import { createHash, randomBytes, sign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The boot server's side of the update channel protocol, on 127.0.0.1: release.json, its
 * RSA PKCS#1 v1.5 SHA-256 signature and the payload under /releases/stable/, everything else
 * a 404. Every request is recorded.
 */

export const PAYLOAD = randomBytes(3 * 2 ** 20);
export const PAYLOAD_NAME = 'labos-2.0.0-root.ext4';

export const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

export interface Release {
  version?: string;
  /** The manifest's sha512 (default: the payload's). */
  sha512?: string;
  /** Bytes served as the payload (default: PAYLOAD, which the manifest describes). */
  served?: Buffer;
  /** Signed with a key that is not the lab's release key. */
  badSignature?: boolean;
}

export interface ReleaseChannel {
  url: string;
  /** Request paths since the last publish(). */
  requests: string[];
  /** Puts a release on channel stable, in place of any before it. */
  publish(r?: Release): void;
  stop(): Promise<void>;
}

export async function startReleaseChannel(releaseKey: string, otherKey: string): Promise<ReleaseChannel> {
  let served = new Map<string, Buffer>();
  const channel = {
    requests: [] as string[],
    publish(r: Release = {}) {
      const manifest = Buffer.from(
        JSON.stringify({ version: r.version ?? '2.0.0', channel: 'stable', payload: PAYLOAD_NAME, size: PAYLOAD.length, sha512: r.sha512 ?? sha512(PAYLOAD) }),
      );
      served = new Map([
        ['/releases/stable/release.json', manifest],
        ['/releases/stable/release.json.sig', sign('sha256', manifest, r.badSignature ? otherKey : releaseKey)],
        [`/releases/stable/${PAYLOAD_NAME}`, r.served ?? PAYLOAD],
      ]);
      channel.requests = [];
    },
  };
  const server = http.createServer((req, res) => {
    channel.requests.push(req.url ?? '');
    const body = served.get(req.url ?? '');
    if (body) res.writeHead(200, { 'content-length': body.length }).end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return Object.assign(channel, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((closed) => server.close(() => closed())),
  });
}
