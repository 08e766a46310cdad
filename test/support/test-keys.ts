/**
 * RSA keys for tests that need a lab PKI but do not test making keys. Generating a 2048-bit key
 * costs ~0.1 s of CPU and a lab PKI needs 10-20, so the unit tier would spend half a minute on
 * them. These are real keys, made once with `openssl genpkey` and used for nothing else; each
 * process hands them out in order, once each, then falls back to fresh ones.
 */
import fs from 'node:fs';
import { newRsaKey } from '../../src/pki/x509.js';

const FILE = new URL('../fixtures/pki/rsa-2048-keys.pem', import.meta.url);
const pool = fs.readFileSync(FILE, 'utf8').split(/(?=-----BEGIN PRIVATE KEY-----)/);
let next = 0;

/** For `ensureLabPki`'s `newKey`. */
export async function testKey(): Promise<string> {
  return next < pool.length ? pool[next++]! : newRsaKey();
}
