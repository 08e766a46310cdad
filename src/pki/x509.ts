import { constants, createHash, createPrivateKey, createPublicKey, generateKeyPair, privateEncrypt, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import forge from 'node-forge';
import type { CertPlan, ExtKeyUsage, KeyUsage } from './plan.js';

/**
 * Issuing and checking X.509 certificates: node-forge builds and reads them; node:crypto (OpenSSL)
 * makes the keys and does the private-key arithmetic, which forge's JavaScript RSA does ~50x slower.
 */

const generateKeyPairAsync = promisify(generateKeyPair);

/** A new RSA 2048 key (PKCS#8 PEM) from OpenSSL on the libuv pool: fast, and parallel across keys. */
export async function newRsaKey(): Promise<string> {
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return privateKey;
}

/** The SPKI PEM of a private key, or undefined when the text is not an RSA private key. */
export function rsaPublicPem(privatePem: string): string | undefined {
  try {
    const key = createPrivateKey(privatePem);
    if (key.asymmetricKeyType !== 'rsa') return undefined;
    return createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string;
  } catch {
    return undefined;
  }
}

/** A CA as the signer of other certificates. */
export interface Issuer {
  cert: forge.pki.Certificate;
  keyPem: string;
}

export function parseCert(pem: string): forge.pki.Certificate | undefined {
  try {
    return forge.pki.certificateFromPem(pem);
  } catch {
    return undefined;
  }
}

/** The key's PEM when it is a readable RSA private key. */
export function parseKey(pem: string): string | undefined {
  return rsaPublicPem(pem) === undefined ? undefined : pem;
}

/** Guests' clocks may trail the host's a little right after boot: backdate so fresh certs are valid. */
const CLOCK_SKEW_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** A certificate this close to its end is re-issued rather than left to expire mid-run. */
const RENEW_BEFORE_MS = 30 * DAY_MS;

/** Signs a certificate for `plan` over `privatePem`'s key; `issuer` undefined means self-signed. */
export function issueCert(plan: CertPlan, privatePem: string, issuer: Issuer | undefined, now = new Date()): string {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(rsaPublicPem(privatePem)!);
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
  // forge's typings ask for a whole key; `cert.sign` only calls its `sign(md)`.
  cert.sign(opensslSigner(issuer?.keyPem ?? privatePem) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
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

/** DER of a SHA-256 DigestInfo up to its 32-byte digest (RFC 8017, 9.2, note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/**
 * What forge's `cert.sign` wants of a key, `sign(md)`, done in OpenSSL: RSASSA-PKCS1-v1_5 is the
 * private-key operation over the DigestInfo with type-1 padding.
 */
function opensslSigner(privatePem: string) {
  return {
    sign(md: forge.md.MessageDigest): string {
      const digest = Buffer.from(md.digest().getBytes(), 'binary');
      const digestInfo = Buffer.concat([SHA256_DIGEST_INFO, digest]);
      return privateEncrypt({ key: privatePem, padding: constants.RSA_PKCS1_PADDING }, digestInfo).toString('binary');
    },
  };
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
