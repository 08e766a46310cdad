import path from 'node:path';
import type { X509Certificate } from '@peculiar/x509';
import type { LabSpec } from '../ground/lab-spec.js';
import {
  ensurePrivateDirs,
  pkiLayout,
  PUBLIC_MODE,
  readIfExists,
  SECRET_MODE,
  setMode,
  writeAtomic,
  type PkiLayout,
} from './files.js';
import { planCerts, RELEASE_KEY, SERVICE_ACCOUNT_KEY, type CaName, type CertPlan } from './plan.js';
import { Secret } from './secret.js';
import { newSshKeyPair, parseSshPrivate, sshPublicLine, sshPublicMatches } from './ssh.js';
import { certMismatch, fingerprint, issueCert, keyTypeOf, newEcKey, newRsaKey, parseCert, rsaPublicPem, type Issuer } from './x509.js';

/** Creates what the lab's PKI lacks and hands back all of it; reuses everything still right. */

export interface CertMaterial {
  name: string;
  certFile: string;
  keyFile: string;
  certPem: string;
  key: Secret;
  /** SHA-256 of the certificate's DER, colon hex. */
  fingerprint: string;
}

/** An RSA key pair without a certificate; `publicPem` is SPKI, as `openssl dgst -verify` reads it. */
export interface RsaKeyPair {
  keyFile: string;
  publicFile: string;
  key: Secret;
  publicPem: string;
}

export interface LabPki {
  dir: string;
  /** By plan name: `ca`, `etcd-ca`, `etcd/node1-server`, `apiserver`, `kubelet/node4`, ... */
  certs: Record<string, CertMaterial>;
  serviceAccount: RsaKeyPair;
  /** Signs the lab's release channels (src/release). */
  release: RsaKeyPair;
  ssh: { privateFile: string; publicFile: string; privateKey: Secret; publicKey: string };
  /** What this call created or replaced, and why; names only, so it is safe to print. */
  written: { name: string; reason: string }[];
}

export interface PkiOptions {
  /** The lab's `pki` in its host layout, or any dir (tests, `metal-lab render`). */
  dir: string;
  now?: Date;
  /**
   * Where new RSA keys (PKCS#8 PEM) come from: fresh from OpenSSL unless a test hands out its own.
   * ECDSA keys are always fresh: they take a millisecond.
   */
  newKey?: () => Promise<string>;
}

export async function ensureLabPki(lab: LabSpec, options: PkiOptions): Promise<LabPki> {
  const layout = pkiLayout(options.dir);
  const now = options.now ?? new Date();
  const newKey = options.newKey ?? newRsaKey;
  const plans = planCerts(lab);
  await ensurePrivateDirs(layout.dir, new Set([...plans.map((plan) => path.dirname(plan.name)), 'ssh']));

  const written: LabPki['written'] = [];
  const certs: Record<string, CertMaterial> = {};
  const issuers = new Map<CaName, Issuer>();
  const ensure = async (plan: CertPlan) => {
    const issuer = plan.ca ? issuers.get(plan.ca) : undefined;
    if (plan.ca && !issuer) throw new Error(`PKI plan orders ${plan.name} before its CA ${plan.ca}`);
    const result = await ensureCert(layout, plan, issuer, now, newKey);
    certs[plan.name] = result.material;
    if (result.reason) written.push({ name: plan.name, reason: result.reason });
    return result;
  };
  // CAs one by one (the leaves need them), then every leaf at once: key generation runs in parallel.
  for (const plan of plans.filter((p) => !p.ca)) {
    const { material } = await ensure(plan);
    issuers.set(plan.name as CaName, { cert: parseCert(material.certPem)!, keyPem: material.key.reveal() });
  }
  await Promise.all(plans.filter((p) => p.ca).map(ensure));

  const serviceAccount = await ensureRsaKeyPair(layout, SERVICE_ACCOUNT_KEY, written, newKey);
  const release = await ensureRsaKeyPair(layout, RELEASE_KEY, written, newKey);
  const ssh = await ensureSshKey(layout, lab.id, written);
  return { dir: layout.dir, certs, serviceAccount, release, ssh, written };
}

async function ensureCert(
  layout: PkiLayout,
  plan: CertPlan,
  issuer: Issuer | undefined,
  now: Date,
  newKey: () => Promise<string>,
): Promise<{ material: CertMaterial; reason?: string }> {
  const certFile = layout.cert(plan.name);
  const keyFile = layout.key(plan.name);
  const [certText, keyText] = await Promise.all([readIfExists(certFile), readIfExists(keyFile)]);
  const keyType = keyText === undefined ? undefined : keyTypeOf(keyText);
  const keyPem = keyType === plan.keyType ? keyText : undefined;
  const existing = certText === undefined ? undefined : parseCert(certText);

  const reason = !keyPem
    ? keyType
      ? `key type ${keyType}, planned ${plan.keyType}`
      : 'new key'
    : !existing
      ? 'new certificate'
      : await certMismatch(plan, existing, keyPem, issuer, now);
  if (!reason) {
    await setMode(keyFile, SECRET_MODE);
    return { material: material(plan.name, certFile, keyFile, certText!, keyPem!, existing!) };
  }

  // A changed SAN or expiry re-signs over the same key; only a missing or broken key makes a new one.
  const privatePem = keyPem ?? (await (plan.keyType === 'rsa' ? newKey() : newEcKey()));
  if (!keyPem) await writeAtomic(keyFile, privatePem, SECRET_MODE);
  const certPem = await issueCert(plan, privatePem, issuer, now);
  await writeAtomic(certFile, certPem, PUBLIC_MODE);
  return {
    material: material(plan.name, certFile, keyFile, certPem, privatePem, parseCert(certPem)!),
    reason,
  };
}

function material(
  name: string,
  certFile: string,
  keyFile: string,
  certPem: string,
  keyPem: string,
  cert: X509Certificate,
): CertMaterial {
  return { name, certFile, keyFile, certPem, key: new Secret(keyPem), fingerprint: fingerprint(cert) };
}

/** `<name>.key` and `<name>.pub`: a key that is not an RSA private key is replaced by a new pair. */
async function ensureRsaKeyPair(
  layout: PkiLayout,
  name: string,
  written: LabPki['written'],
  newKey: () => Promise<string>,
): Promise<RsaKeyPair> {
  const keyFile = layout.key(name);
  const publicFile = layout.publicKey(name);
  let keyPem = await readIfExists(keyFile);
  let publicPem = keyPem === undefined ? undefined : rsaPublicPem(keyPem);
  if (keyPem === undefined || publicPem === undefined) {
    keyPem = await newKey();
    publicPem = rsaPublicPem(keyPem)!;
    await writeAtomic(keyFile, keyPem, SECRET_MODE);
    written.push({ name: `${name}.key`, reason: 'new key' });
  } else {
    await setMode(keyFile, SECRET_MODE);
  }
  await ensurePublicFile(publicFile, publicPem, `${name}.pub`, written);
  return { keyFile, publicFile, key: new Secret(keyPem), publicPem };
}

async function ensureSshKey(layout: PkiLayout, labId: string, written: LabPki['written']): Promise<LabPki['ssh']> {
  const privateFile = layout.sshPrivate;
  const publicFile = layout.sshPublic;
  const [privateText, publicText] = await Promise.all([readIfExists(privateFile), readIfExists(publicFile)]);
  const parsed = privateText === undefined ? undefined : parseSshPrivate(privateText);
  let pair: { privateKey: string; publicKey: string };
  if (privateText === undefined || !parsed) {
    pair = newSshKeyPair(labId);
    await writeAtomic(privateFile, pair.privateKey, SECRET_MODE);
    written.push({ name: 'ssh/id_ed25519', reason: 'new key' });
  } else {
    await setMode(privateFile, SECRET_MODE);
    const publicKey =
      publicText !== undefined && sshPublicMatches(publicText, parsed) ? publicText : sshPublicLine(parsed, labId);
    pair = { privateKey: privateText, publicKey };
  }
  await ensurePublicFile(publicFile, pair.publicKey, 'ssh/id_ed25519.pub', written);
  return { privateFile, publicFile, privateKey: new Secret(pair.privateKey), publicKey: pair.publicKey };
}

/** Rewrites a public half only when it differs, so a second run writes nothing. */
async function ensurePublicFile(file: string, text: string, name: string, written: LabPki['written']): Promise<void> {
  if ((await readIfExists(file)) === text) return;
  await writeAtomic(file, text, PUBLIC_MODE);
  written.push({ name, reason: 'public key missing or stale' });
}
