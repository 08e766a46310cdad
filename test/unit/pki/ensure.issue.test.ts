// @peculiar/x509 needs the Reflect metadata API loaded first (src/pki/x509.ts).
import 'reflect-metadata';
import * as peculiar from '@peculiar/x509';
import { createPrivateKey, createPublicKey, sign, verify, X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { inspect } from 'node:util';
import test from 'ava';
import ssh2 from 'ssh2';
import { ensureLabPki, type CertMaterial } from '../../../src/pki/ensure.js';
import { planCerts } from '../../../src/pki/plan.js';
import { snapshot, talkLab, tempPkiDir } from '../../support/pki-fixture.js';
import { testKey } from '../../support/test-keys.js';

// One PKI for the whole file, with keys fresh from OpenSSL: every test reads it, none changes it.
const lab = await talkLab();
const plans = planCerts(lab);
const dir = await tempPkiDir();
const startedMs = Date.now();
const pki = await ensureLabPki(lab, { dir });
const finishedMs = Date.now();

const material = (name: string): CertMaterial => {
  const found = pki.certs[name];
  if (!found) throw new Error(`no certificate ${name}`);
  return found;
};
const x509 = (name: string) => new X509Certificate(material(name).certPem);
const DAY_MS = 86_400_000;

test('a first run issues every planned certificate plus the service-account, release and SSH key pairs', (t) => {
  t.deepEqual(Object.keys(pki.certs).sort(), plans.map((plan) => plan.name).sort());
  t.deepEqual(
    pki.written.map((entry) => entry.name).sort(),
    [
      ...plans.map((plan) => plan.name),
      ...['service-account.key', 'service-account.pub', 'release.key', 'release.pub', 'ssh/id_ed25519', 'ssh/id_ed25519.pub'],
    ].sort(),
  );
  t.is(pki.dir, dir);
});

test('files on disk are the returned PEMs, and each key belongs to its certificate', async (t) => {
  for (const cert of Object.values(pki.certs)) {
    t.is(await fs.readFile(cert.certFile, 'utf8'), cert.certPem);
    t.is(await fs.readFile(cert.keyFile, 'utf8'), cert.key.reveal());
    t.true(new X509Certificate(cert.certPem).checkPrivateKey(createPrivateKey(cert.key.reveal())), cert.name);
    t.is(new X509Certificate(cert.certPem).fingerprint256, cert.fingerprint);
  }
  t.regex(material('etcd/node2-peer').certFile, /\/pki\/etcd\/node2-peer\.crt$/);
});

test('private keys are 0600, certificates and public keys 0644, dirs 0700', async (t) => {
  const files = await snapshot(dir);
  t.is(files.size, plans.length * 2 + 6);
  for (const [file, { mode }] of files) {
    const secret = file.endsWith('.key') || file === 'ssh/id_ed25519';
    t.is(mode, secret ? 0o600 : 0o644, file);
  }
  for (const sub of ['', 'etcd', 'kubelet', 'ssh']) {
    t.is((await fs.stat(path.join(dir, sub))).mode & 0o777, 0o700, sub || 'pki');
  }
});

test('a lab dir the PKI creates first stays traversable (libvirt\'s dnsmasq and qemu enter it)', async (t) => {
  const labDir = path.join(path.dirname(await tempPkiDir()), 'labs', 'fresh');
  await ensureLabPki(lab, { dir: path.join(labDir, 'pki'), newKey: testKey });
  t.is((await fs.stat(labDir)).mode & 0o777, 0o755);
  t.is((await fs.stat(path.join(labDir, 'pki'))).mode & 0o777, 0o700);
});

test('chains verify with node:crypto, each against its own CA only', (t) => {
  const ca = x509('ca');
  const etcdCa = x509('etcd-ca');
  for (const self of [ca, etcdCa]) t.true(self.checkIssued(self) && self.verify(self.publicKey));
  for (const plan of plans.filter((p) => p.ca)) {
    const leaf = x509(plan.name);
    const [own, other] = plan.ca === 'ca' ? [ca, etcdCa] : [etcdCa, ca];
    t.true(leaf.checkIssued(own) && leaf.verify(own.publicKey), plan.name);
    t.false(leaf.checkIssued(other), plan.name);
    t.false(leaf.verify(other.publicKey), plan.name);
  }
});

test('CA keys are RSA 2048, leaf keys ECDSA P-256', (t) => {
  for (const plan of plans) {
    const key = x509(plan.name).publicKey;
    const [type, details] = plan.isCa ? (['rsa', { modulusLength: 2048 }] as const) : (['ec', { namedCurve: 'prime256v1' }] as const);
    t.is(key.asymmetricKeyType, type, plan.name);
    t.like(key.asymmetricKeyDetails, details, plan.name);
  }
});

test('SANs and subjects on disk are exactly the planned ones (read back by node:crypto)', (t) => {
  for (const plan of plans) {
    const cert = x509(plan.name);
    const sans = [...plan.sans.dns.map((name) => `DNS:${name}`), ...plan.sans.ips.map((ip) => `IP Address:${ip}`)];
    t.is(cert.subjectAltName, sans.length ? sans.join(', ') : undefined, plan.name);
    t.is(cert.subject, [...(plan.subject.o ? [`O=${plan.subject.o}`] : []), `CN=${plan.subject.cn}`].join('\n'));
  }
  t.is(
    x509('etcd/node3-server').subjectAltName,
    'DNS:node3, DNS:node3.example.com, DNS:localhost, IP Address:172.18.0.23, IP Address:127.0.0.1',
  );
  t.is(x509('kubelet/node5').subject, 'O=system:nodes\nCN=system:node:node5');
  t.is(x509('admin').subject, 'O=system:masters\nCN=admin');
});

test('key usages (critical), extended key usages and CA flags match the plan', (t) => {
  const ekuOid = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' };
  const allUsages = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign'] as const;
  for (const plan of plans) {
    const keyUsage = new peculiar.X509Certificate(material(plan.name).certPem).getExtension(peculiar.KeyUsagesExtension)!;
    t.true(keyUsage.critical, plan.name);
    t.deepEqual(allUsages.filter((usage) => keyUsage.usages & peculiar.KeyUsageFlags[usage]), plan.keyUsage, plan.name);
    t.is(x509(plan.name).ca, plan.isCa, plan.name);
    // node:crypto reports EKU OIDs, or undefined when the extension is absent (the CAs).
    const eku = x509(plan.name).keyUsage;
    t.deepEqual(eku, plan.extKeyUsage.length ? plan.extKeyUsage.map((usage) => ekuOid[usage]) : undefined, plan.name);
  }
});

test('validity starts an hour back (guest clock skew) and lasts 365 days, 3650 for the CAs', (t) => {
  for (const plan of plans) {
    const cert = x509(plan.name);
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    // X.509 times have whole seconds.
    t.true(from >= startedMs - 3_600_000 - 1000 && from <= finishedMs - 3_600_000, plan.name);
    t.true(to >= startedMs + plan.validityDays * DAY_MS - 1000 && to <= finishedMs + plan.validityDays * DAY_MS, plan.name);
  }
  t.is(plans.find((plan) => plan.name === 'ca')!.validityDays, 3650);
  t.is(plans.find((plan) => plan.name === 'apiserver')!.validityDays, 365);
});

test('service-account and release key pairs: RSA 2048, the public file verifies what the private key signs', async (t) => {
  t.regex(pki.serviceAccount.keyFile, /\/pki\/service-account\.key$/);
  t.regex(pki.release.publicFile, /\/pki\/release\.pub$/);
  for (const pair of [pki.serviceAccount, pki.release]) {
    t.is(await fs.readFile(pair.publicFile, 'utf8'), pair.publicPem);
    t.regex(pair.publicPem, /^-----BEGIN PUBLIC KEY-----\n/);
    const key = createPrivateKey(await fs.readFile(pair.keyFile, 'utf8'));
    t.is(key.asymmetricKeyDetails?.modulusLength, 2048);
    const signature = sign('sha256', Buffer.from('token'), key);
    t.true(verify('sha256', Buffer.from('token'), createPublicKey(pair.publicPem), signature));
  }
  t.not(pki.release.publicPem, pki.serviceAccount.publicPem);
});

test('SSH key pair: OpenSSH ed25519, the public key parses with ssh2 and matches the private key', async (t) => {
  const privateText = await fs.readFile(pki.ssh.privateFile, 'utf8');
  const publicText = await fs.readFile(pki.ssh.publicFile, 'utf8');
  t.regex(privateText, /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
  t.regex(publicText, /^ssh-ed25519 AAAA[A-Za-z0-9+/=]+ metal-lab@talk\n$/);
  t.is(publicText, pki.ssh.publicKey);

  const priv = ssh2.utils.parseKey(privateText);
  const pub = ssh2.utils.parseKey(publicText);
  if (priv instanceof Error || Array.isArray(priv) || pub instanceof Error || Array.isArray(pub)) {
    return t.fail('ssh2 could not parse the key pair');
  }
  t.is(priv.type, 'ssh-ed25519');
  t.true(priv.isPrivateKey());
  t.false(pub.isPrivateKey());
  t.is(pub.comment, 'metal-lab@talk');
  t.true(pub.getPublicSSH().equals(priv.getPublicSSH()));
  const data = Buffer.from('ssh userauth');
  t.true(pub.verify(data, priv.sign(data)));
});

test('key material never shows in JSON, inspect or template strings of the result', (t) => {
  const outputs = [JSON.stringify(pki), inspect(pki, { depth: null }), `${pki.ssh.privateKey} ${material('ca').key}`];
  for (const out of outputs) {
    t.notRegex(out, /PRIVATE KEY/);
    t.regex(out, /\[secret\]/);
  }
  // The public halves do show: they are what other layers render into Ignition.
  t.regex(JSON.stringify(pki), /BEGIN CERTIFICATE/);
  t.regex(JSON.stringify(pki), /ssh-ed25519 /);
});

/**
 * One TLS connection on loopback: the server presents `server` and asks for a client
 * certificate; returns the client's verdict on the server and the server's on the client.
 */
async function handshake(opts: {
  server: string;
  serverCa: string;
  client?: string;
  clientCa: string;
  servername?: string;
}): Promise<{ client: string; server?: string }> {
  let serverVerdict: string | undefined;
  const server = tls.createServer(
    {
      key: material(opts.server).key.reveal(),
      cert: material(opts.server).certPem,
      ca: [material(opts.clientCa).certPem],
      requestCert: true,
      rejectUnauthorized: false,
    },
    (socket) => {
      serverVerdict = socket.authorized ? 'authorized' : String(socket.authorizationError);
      socket.end('hello');
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const client = await new Promise<string>((resolve) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: (server.address() as AddressInfo).port,
        servername: opts.servername,
        ca: [material(opts.serverCa).certPem],
        ...(opts.client ? { key: material(opts.client).key.reveal(), cert: material(opts.client).certPem } : {}),
      });
      socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
      socket.on('data', () => resolve('ok'));
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    return { client, server: serverVerdict };
  } finally {
    server.close();
  }
}

test('real TLS on loopback: etcd mutual auth by name, FQDN and IP; wrong CA or usage is refused', async (t) => {
  const etcd = { server: 'etcd/node1-server', serverCa: 'etcd-ca', clientCa: 'etcd-ca' };
  t.deepEqual(await handshake({ ...etcd, client: 'etcd/client', servername: 'node1.example.com' }), {
    client: 'ok',
    server: 'authorized',
  });
  t.deepEqual(await handshake({ ...etcd, client: 'etcd/node2-peer', servername: 'node1' }), { client: 'ok', server: 'authorized' });
  // No servername: the client checks the IP SAN 127.0.0.1.
  t.deepEqual(await handshake({ ...etcd, client: 'etcd/client' }), { client: 'ok', server: 'authorized' });

  t.is((await handshake({ ...etcd, client: 'etcd/client', servername: 'node2.example.com' })).client, 'ERR_TLS_CERT_ALTNAME_INVALID');
  // The server sends its CA along (OpenSSL completes the chain from `ca`); the client does not trust it.
  t.is((await handshake({ ...etcd, serverCa: 'ca', client: 'etcd/client', servername: 'node1' })).client, 'SELF_SIGNED_CERT_IN_CHAIN');
  t.deepEqual(await handshake({ ...etcd, client: 'kubelet/node1', servername: 'node1' }), {
    client: 'ok',
    server: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  });
  // etcd's server certificate is a client one too: its gRPC gateway dials etcd with it.
  t.deepEqual(await handshake({ ...etcd, client: 'etcd/node2-server', servername: 'node1' }), { client: 'ok', server: 'authorized' });
  // A server-only certificate cannot log in as a client.
  t.deepEqual(await handshake({ server: 'apiserver', serverCa: 'ca', clientCa: 'ca', client: 'apiserver' }), {
    client: 'ok',
    server: 'INVALID_PURPOSE',
  });
});

test('real TLS on loopback: the apiserver answers to its service names and the admin logs in', async (t) => {
  const api = { server: 'apiserver', serverCa: 'ca', clientCa: 'ca', client: 'admin' };
  for (const servername of ['kubernetes.default.svc', 'cluster.example.com', 'node1.example.com', 'node3.example.com', undefined]) {
    t.deepEqual(await handshake({ ...api, servername }), { client: 'ok', server: 'authorized' }, servername);
  }
  // node4 is a worker: it runs no API server.
  t.is((await handshake({ ...api, servername: 'node4.example.com' })).client, 'ERR_TLS_CERT_ALTNAME_INVALID');
});
