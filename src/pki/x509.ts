// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata API
// loaded before it.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { CertPlan, ExtKeyUsage, KeyType, KeyUsage } from './plan.js';

/**
 * Issuing and checking X.509 certificates: @peculiar/x509 builds and reads them, node:crypto
 * (OpenSSL, through WebCrypto) makes the keys and signs.
 */

x509.cryptoProvider.set(webcrypto as ReturnType<typeof x509.cryptoProvider.get>);

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

/** A new ECDSA P-256 key (PKCS#8 PEM): a millisecond to make, and cheap to sign with. */
export async function newEcKey(): Promise<string> {
  const { privateKey } = await generateKeyPairAsync('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return privateKey;
}

/** The key type of a private key PEM, or undefined when the text is none the lab makes. */
export function keyTypeOf(privatePem: string): KeyType | undefined {
  const key = privateKey(privatePem);
  if (key?.asymmetricKeyType === 'rsa') return 'rsa';
  if (key?.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ecdsa';
  return undefined;
}

/** The SPKI PEM of a private key, or undefined when the text is not an RSA private key. */
export function rsaPublicPem(privatePem: string): string | undefined {
  return keyTypeOf(privatePem) === 'rsa' ? spkiPem(privatePem) : undefined;
}

/** A CA as the signer of other certificates. */
export interface Issuer {
  cert: x509.X509Certificate;
  keyPem: string;
}

export function parseCert(pem: string): x509.X509Certificate | undefined {
  try {
    return new x509.X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** Guests' clocks may trail the host's a little right after boot: backdate so fresh certs are valid. */
const CLOCK_SKEW_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** A certificate this close to its end is re-issued rather than left to expire mid-run. */
const RENEW_BEFORE_MS = 30 * DAY_MS;

/** WebCrypto's names for each key type, good both to import a key and to sign with it (SHA-256). */
const ALGORITHMS: Record<KeyType, webcrypto.RsaHashedImportParams | (webcrypto.EcKeyImportParams & webcrypto.EcdsaParams)> = {
  rsa: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  ecdsa: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
};

const KEY_USAGE_FLAGS: Record<KeyUsage, x509.KeyUsageFlags> = {
  digitalSignature: x509.KeyUsageFlags.digitalSignature,
  keyCertSign: x509.KeyUsageFlags.keyCertSign,
  cRLSign: x509.KeyUsageFlags.cRLSign,
};
const EXT_KEY_USAGE_OIDS: Record<ExtKeyUsage, string> = {
  serverAuth: x509.ExtendedKeyUsage.serverAuth,
  clientAuth: x509.ExtendedKeyUsage.clientAuth,
};

/** Signs a certificate for `plan` over `privatePem`'s key; `issuer` undefined means self-signed. */
export async function issueCert(plan: CertPlan, privatePem: string, issuer: Issuer | undefined, now = new Date()): Promise<string> {
  const publicKey = await importPublic(privatePem);
  const signerPem = issuer?.keyPem ?? privatePem;
  const signerType = keyTypeOf(signerPem)!;
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    privateKey(signerPem)!.export({ type: 'pkcs8', format: 'der' }),
    ALGORITHMS[signerType],
    false,
    ['sign'],
  );
  const usages = plan.keyUsage.reduce((flags, usage) => flags | KEY_USAGE_FLAGS[usage], 0);
  const altNames: x509.JsonGeneralName[] = [
    ...plan.sans.dns.map((value) => ({ type: 'dns' as const, value })),
    ...plan.sans.ips.map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: subjectName(plan.subject),
    issuer: issuer ? issuer.cert.subjectName : subjectName(plan.subject),
    notBefore: new Date(now.getTime() - CLOCK_SKEW_MS),
    notAfter: new Date(now.getTime() + plan.validityDays * DAY_MS),
    signingAlgorithm: ALGORITHMS[signerType],
    publicKey,
    signingKey,
    extensions: [
      new x509.BasicConstraintsExtension(plan.isCa, undefined, true),
      new x509.KeyUsagesExtension(usages, true),
      ...(plan.extKeyUsage.length ? [new x509.ExtendedKeyUsageExtension(plan.extKeyUsage.map((u) => EXT_KEY_USAGE_OIDS[u]))] : []),
      ...(altNames.length ? [new x509.SubjectAlternativeNameExtension(altNames)] : []),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer?.cert ?? publicKey),
    ],
  });
  return `${cert.toString('pem')}\n`;
}

/**
 * Why an existing certificate no longer serves `plan`, or undefined when it does: it must be
 * signed by `issuer` (itself for a CA), carry the key in `privatePem`, the planned subject,
 * SANs and usages, and stay valid for a while yet.
 */
export async function certMismatch(
  plan: CertPlan,
  cert: x509.X509Certificate,
  privatePem: string,
  issuer: Issuer | undefined,
  now = new Date(),
): Promise<string | undefined> {
  const signer = issuer?.cert ?? cert;
  const signed = cert.issuer === signer.subject && (await cert.verify({ publicKey: signer.publicKey, signatureOnly: true }));
  if (!signed) return issuer ? `not signed by the current ${plan.ca}` : 'not self-signed';
  if (!Buffer.from(cert.publicKey.rawData).equals(spkiDer(privatePem))) return 'does not match its key';
  const info = describeCert(cert);
  if (!sameList(info.subject, subjectAttrs(plan.subject))) return 'subject changed';
  if (!sameList(info.sans.dns, plan.sans.dns) || !sameList(info.sans.ips, plan.sans.ips)) return 'SANs changed';
  if (info.isCa !== plan.isCa || !sameList(info.keyUsage, plan.keyUsage)) return 'key usage changed';
  if (!sameList(info.extKeyUsage, plan.extKeyUsage)) return 'extended key usage changed';
  if (cert.notBefore.getTime() > now.getTime()) return 'not valid yet';
  if (cert.notAfter.getTime() - now.getTime() < RENEW_BEFORE_MS) return 'expires soon';
  return undefined;
}

/** What a certificate says, in the plan's terms (for checks and tests). */
export function describeCert(cert: x509.X509Certificate) {
  const names = cert.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? [];
  const usages = cert.getExtension(x509.KeyUsagesExtension)?.usages ?? 0;
  const extUsages = cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? [];
  return {
    subject: cert.subjectName.toJSON().flatMap((rdn) => Object.entries(rdn).flatMap(([type, values]) => values.map((v) => `${type}=${v}`))),
    sans: {
      dns: names.filter((name) => name.type === 'dns').map((name) => name.value),
      ips: names.filter((name) => name.type === 'ip').map((name) => name.value),
    },
    isCa: cert.getExtension(x509.BasicConstraintsExtension)?.ca === true,
    keyUsage: (Object.keys(KEY_USAGE_FLAGS) as KeyUsage[]).filter((usage) => usages & KEY_USAGE_FLAGS[usage]),
    extKeyUsage: (Object.keys(EXT_KEY_USAGE_OIDS) as ExtKeyUsage[]).filter((usage) =>
      extUsages.includes(EXT_KEY_USAGE_OIDS[usage]),
    ),
  };
}

/** SHA-256 of the DER encoding, as colon-separated upper-case hex (what `openssl x509 -fingerprint` prints). */
export function fingerprint(cert: x509.X509Certificate): string {
  const hex = createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex').toUpperCase();
  return hex.match(/../g)!.join(':');
}

function privateKey(pem: string): KeyObject | undefined {
  try {
    return createPrivateKey(pem);
  } catch {
    return undefined;
  }
}

function spkiPem(privatePem: string): string {
  return createPublicKey(privatePem).export({ type: 'spki', format: 'pem' }) as string;
}

function spkiDer(privatePem: string): Buffer {
  return createPublicKey(privatePem).export({ type: 'spki', format: 'der' });
}

async function importPublic(privatePem: string): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('spki', spkiDer(privatePem), ALGORITHMS[keyTypeOf(privatePem)!], true, ['verify']);
}

/** `O=…, CN=…`: the organisation (Kubernetes' group) first, as kubeadm writes it. */
function subjectAttrs(subject: CertPlan['subject']): string[] {
  return [...(subject.o ? [`O=${subject.o}`] : []), `CN=${subject.cn}`];
}

function subjectName(subject: CertPlan['subject']): x509.JsonName {
  return [...(subject.o ? [{ O: [subject.o] }] : []), { CN: [subject.cn] }];
}

/** A positive 128-bit serial whose first byte is non-zero, so DER keeps all 16 bytes. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString('hex');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}
