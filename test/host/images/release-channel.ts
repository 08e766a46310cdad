import { createHash, randomBytes, sign } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

/**
 * The boot server's side of the update channel protocol, on 127.0.0.1: release.json, its
 * RSA PKCS#1 v1.5 SHA-256 signature and the payload under /releases/stable/, everything else
 * a 404. Every request is recorded.
 */

/** What a release's /usr carries for the slot's boot: lib/labos/boot/<name> (small stand-ins here). */
export const BOOT_FILES = { vmlinuz: randomBytes(2 ** 20), 'initrd.img': randomBytes(2 ** 20) };

/** An ext4 image of a /usr tree with `files` (relative path to content), made without mounting. */
export async function usrImage(files: Record<string, Buffer>): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'labos-usr-'));
  try {
    for (const [rel, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, 'tree', rel)), { recursive: true });
      await writeFile(path.join(dir, 'tree', rel), content);
    }
    await mkdir(path.join(dir, 'tree'), { recursive: true });
    await execa('mkfs.ext4', ['-q', '-F', '-L', 'usr', '-d', path.join(dir, 'tree'), path.join(dir, 'usr.ext4'), '8M']);
    return await readFile(path.join(dir, 'usr.ext4'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A release's /usr: its kernel and initramfs in place, and a file to tell it by. */
export const PAYLOAD = await usrImage({
  'lib/labos/boot/vmlinuz': BOOT_FILES.vmlinuz,
  'lib/labos/boot/initrd.img': BOOT_FILES['initrd.img'],
  'lib/os-release': Buffer.from('ID=labos\nVERSION=2.0.0\n'),
});
export const PAYLOAD_NAME = 'labos-2.0.0-usr.ext4';

export const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

export interface Release {
  version?: string;
  /** The manifest's sha512 (default: the payload's). */
  sha512?: string;
  /** Bytes served as the payload (default: `payload`). */
  served?: Buffer;
  /** The payload the manifest describes (default: PAYLOAD). */
  payload?: Buffer;
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
      const payload = r.payload ?? PAYLOAD;
      const manifest = Buffer.from(
        JSON.stringify({ version: r.version ?? '2.0.0', channel: 'stable', payload: PAYLOAD_NAME, size: payload.length, sha512: r.sha512 ?? sha512(payload) }),
      );
      served = new Map([
        ['/releases/stable/release.json', manifest],
        ['/releases/stable/release.json.sig', sign('sha256', manifest, r.badSignature ? otherKey : releaseKey)],
        [`/releases/stable/${PAYLOAD_NAME}`, r.served ?? payload],
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
