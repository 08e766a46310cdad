import { sign, verify } from 'node:crypto';
import type { Secret } from '../pki/secret.js';

/**
 * What `openssl dgst -sha256 -verify release.pub -signature release.json.sig` checks on a node:
 * node:crypto signs with RSA keys as PKCS#1 v1.5, over exactly the manifest's bytes.
 */
export function signManifest(bytes: Buffer, key: Secret): Buffer {
  return sign('sha256', bytes, key.reveal());
}

/** False for a wrong key or a damaged signature, and for a public key that is not one. */
export function signatureVerifies(bytes: Buffer, signature: Buffer, publicPem: string): boolean {
  try {
    return verify('sha256', bytes, publicPem, signature);
  } catch {
    return false;
  }
}
