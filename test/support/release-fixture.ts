/** A lab's release channel in a temp dir: an empty assets dir, a payload file and a release key from the test pool. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Secret } from '../../src/pki/secret.js';
import { rsaPublicPem } from '../../src/pki/x509.js';
import { tempDir } from './temp-dir.js';
import { testKey } from './test-keys.js';

export async function releaseFixture(t: Parameters<typeof tempDir>[0], payloadBytes = 256 * 1024) {
  const dir = await tempDir(t, 'metal-lab-release-');
  const key = new Secret(await testKey());
  const payload = randomBytes(payloadBytes);
  const payloadFile = path.join(dir, 'root.ext4');
  await fs.writeFile(payloadFile, payload);
  return { dir, assetsDir: path.join(dir, 'assets'), payload, payloadFile, key, publicPem: rsaPublicPem(key.reveal())! };
}

/** Every file under `dir`, relative, sorted; [] when there is no `dir`. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}
