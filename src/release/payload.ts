import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { PUBLIC_MODE, writeAtomic } from '../pki/files.js';

/**
 * Copies a payload to `to` through a temp file renamed into place (the boot server never serves
 * half of it), hashing on the way: a ~1 GB image is read once, in 1 MiB chunks.
 */
export async function copyPayload(from: string, to: string): Promise<{ size: number; sha512: string }> {
  const hash = createHash('sha512');
  let size = 0;
  async function* hashed() {
    for await (const chunk of createReadStream(from, { highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  }
  await writeAtomic(to, hashed(), PUBLIC_MODE);
  return { size, sha512: hash.digest('hex') };
}
