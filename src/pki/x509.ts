import { createHash, generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import type { CertPlan, ExtKeyUsage, KeyUsage } from './plan.js';

/** Issuing and checking X.509 certificates: node-forge builds and signs, node:crypto makes keys. */

const generateKeyPairAsync = promisify(generateKeyPair);

export interface RsaKey {
  /** PKCS#8 PEM. */
  privatePem: string;
  /** SPKI PEM. */
  publicPem: string;
}

/** An RSA 2048 key from OpenSSL (node:crypto) on the libuv pool: fast, and parallel across keys. */
export async function newRsaKey(): Promise<RsaKey> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

/** The SPKI PEM of a private key, or undefined when the text is not an RSA private key. */
export function rsaPublicPem(privatePem: string): string | undefined {
  try {
    const key = forge.pki.privateKeyFromPem(privatePem);
    return normalizePem(forge.pki.publicKeyToPem(forge.pki.setRsaPublicKey(key.n, key.e)));
  } catch {
    return undefined;
  }
}

/** A CA as the signer of other certificates. */
export interface Issuer {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

export function parseCert(pem: string): forge.pki.Certificate | undefined {
  try {
    return forge.pki.certificateFromPem(pem);
  } catch {
    return undefined;
  }
}

export function parseKey(pem: string): forge.pki.rsa.PrivateKey | undefined {
  try {
    return forge.pki.privateKeyFromPem(pem);
  } catch {
    return undefined;
  }
}

/** Guests' clocks may trail the host's a little right after boot: backdate so fresh certs are valid. */
const CLOCK_SKEW_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** A certificate this close to its end is re-issued rather than left to expire mid-run. */
const RENEW_BEFORE_MS = 30 * DAY_MS;

/** Signs a certificate for `plan` over `privatePem`'s key; `issuer` undefined means self-signed. */
export function issueCert(plan: CertPlan, privatePem: string, issuer: Issuer | undefined, now = new Date()): string {
  const key = forge.pki.privateKeyFromPem(privatePem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  cert.validity.notAfter = new Date(now.getTime() + plan.validityDays * DAY_MS);
  cert.setSubject(subjectAttrs(plan.subject));
  cert.setIssuer(issuer ? issuer.cert.subject.attributes : cert.subject.attributes);

  const keyUsage = Object.fromEntries(plan.keyUsage.map((usage) => [usage, true]));
  const extKeyUsage = Object.fromEntries(plan.extKeyUsage.map((usage) => [usage, true]));
  const altNames = [
    ...plan.sans.dns.map((value) => ({ type: 2, value })),
    ...plan.sans.ips.map((ip) => ({ type: 7, ip })),
  ];
  const authority = issuer?.cert ?? cert;
  cert.setExtensions([
    { name: 'basicConstraints', cA: plan.isCa, critical: true },
    { name: 'keyUsage', critical: true, ...keyUsage },
    ...(plan.extKeyUsage.length ? [{ name: 'extKeyUsage', ...extKeyUsage }] : []),
    ...(altNames.length ? [{ name: 'subjectAltName', altNames }] : []),
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: authority.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(issuer?.key ?? key, forge.md.sha256.create());
  return normalizePem(forge.pki.certificateToPem(cert));
}

/**
 * Why an existing certificate no longer serves `plan`, or undefined when it does: it must be
 * signed by `issuer` (itself for a CA), carry the key in `privatePem`, the planned subject,
 * SANs and usages, and stay valid for a while yet.
 */
export function certMismatch(
  plan: CertPlan,
  cert: forge.pki.Certificate,
  privatePem: string,
  issuer: Issuer | undefined,
  now = new Date(),
): string | undefined {
  const signer = issuer?.cert ?? cert;
  if (!signedBy(cert, signer)) return issuer ? `not signed by the current ${plan.ca}` : 'not self-signed';
  if (rsaPublicPem(privatePem) !== normalizePem(forge.pki.publicKeyToPem(cert.publicKey))) {
    return 'does not match its key';
  }
  const info = describeCert(cert);
  if (!sameList(info.subject, subjectAttrs(plan.subject).map(({ shortName, value }) => `${shortName}=${value}`))) {
    return 'subject changed';
  }
  if (!sameList(info.sans.dns, plan.sans.dns) || !sameList(info.sans.ips, plan.sans.ips)) return 'SANs changed';
  if (info.isCa !== plan.isCa || !sameList(info.keyUsage, plan.keyUsage)) return 'key usage changed';
  if (!sameList(info.extKeyUsage, plan.extKeyUsage)) return 'extended key usage changed';
  if (cert.validity.notBefore.getTime() > now.getTime()) return 'not valid yet';
  if (cert.validity.notAfter.getTime() - now.getTime() < RENEW_BEFORE_MS) return 'expires soon';
  return undefined;
}

/** What a certificate says, in the plan's terms (for checks and tests). */
export function describeCert(cert: forge.pki.Certificate) {
  const ext = <T>(name: string) => cert.getExtension(name) as (T & { critical?: boolean }) | undefined;
  const altNames = ext<{ altNames: { type: number; value: string; ip?: string }[] }>('subjectAltName')?.altNames ?? [];
  const keyUsage = ext<Partial<Record<KeyUsage, boolean>>>('keyUsage') ?? {};
  const extKeyUsage = ext<Partial<Record<ExtKeyUsage, boolean>>>('extKeyUsage') ?? {};
  const usages: KeyUsage[] = ['digitalSignature', 'keyEncipherment', 'keyCertSign', 'cRLSign'];
  const extUsages: ExtKeyUsage[] = ['serverAuth', 'clientAuth'];
  return {
    subject: cert.subject.attributes.map(({ shortName, value }) => `${shortName}=${String(value)}`),
    sans: {
      dns: altNames.filter((name) => name.type === 2).map((name) => name.value),
      ips: altNames.filter((name) => name.type === 7).map((name) => name.ip ?? ''),
    },
    isCa: ext<{ cA?: boolean }>('basicConstraints')?.cA === true,
    keyUsage: usages.filter((usage) => keyUsage[usage]),
    extKeyUsage: extUsages.filter((usage) => extKeyUsage[usage]),
  };
}

/** SHA-256 of the DER encoding, as colon-separated upper-case hex (what `openssl x509 -fingerprint` prints). */
export function fingerprint(cert: forge.pki.Certificate): string {
  const der = forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes();
  const hex = createHash('sha256').update(Buffer.from(der, 'binary')).digest('hex').toUpperCase();
  return hex.match(/../g)!.join(':');
}

function signedBy(cert: forge.pki.Certificate, signer: forge.pki.Certificate): boolean {
  try {
    return signer.verify(cert); // throws when the issuer name does not match the signer's subject
  } catch {
    return false;
  }
}

function subjectAttrs(subject: CertPlan['subject']) {
  return [
    ...(subject.o ? [{ shortName: 'O', value: subject.o }] : []),
    { shortName: 'CN', value: subject.cn },
  ];
}

/** A positive 128-bit serial whose first byte is non-zero, so DER keeps all 16 bytes. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString('hex');
}

/** forge writes CRLF line ends; PEM files and comparisons use LF. */
function normalizePem(pem: string): string {
  return pem.replace(/\r\n/g, '\n');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}
