import { createPrivateKey, X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import { ensureLabPki } from '../../../src/pki/ensure.js';
import { hostLayout } from '../../../src/ground/host-layout.js';
import { copyPki, fingerprints, issuedTalkPki, rewritten, snapshot, sorted } from '../../support/pki-fixture.js';
import { testKey } from '../../support/test-keys.js';

const { lab, plans, dir, first } = await issuedTalkPki();

test('a second run writes nothing and returns the same material', async (t) => {
  const copy = await copyPki(dir);
  const before = await snapshot(copy);
  const again = await ensureLabPki(lab, { dir: copy });
  t.deepEqual(again.written, []);
  t.deepEqual(rewritten(before, await snapshot(copy)), []);
  t.deepEqual(fingerprints(again), fingerprints(first));
  for (const [name, cert] of Object.entries(again.certs)) {
    t.is(cert.key.reveal(), first.certs[name]!.key.reveal(), name);
  }
  t.is(again.serviceAccount.key.reveal(), first.serviceAccount.key.reveal());
  t.is(again.release.key.reveal(), first.release.key.reveal());
  t.is(again.ssh.privateKey.reveal(), first.ssh.privateKey.reveal());
  t.is(again.ssh.publicKey, first.ssh.publicKey);
});

test('the PKI lives in the lab state dir: <METAL_LAB_HOME>/labs/<id>/pki', (t) => {
  const saved = process.env.METAL_LAB_HOME;
  process.env.METAL_LAB_HOME = '/srv/ml-home';
  try {
    t.is(hostLayout().lab('talk').pki, '/srv/ml-home/labs/talk/pki');
  } finally {
    if (saved === undefined) delete process.env.METAL_LAB_HOME;
    else process.env.METAL_LAB_HOME = saved;
  }
});

test('leaves about to expire are re-issued; the ten-year CAs are kept', async (t) => {
  const copy = await copyPki(dir);
  const later = new Date(Date.now() + 340 * 86_400_000);
  const after = await ensureLabPki(lab, { dir: copy, now: later });
  const leaves = plans.filter((p) => p.ca).map((p) => p.name);
  t.deepEqual(sorted(after.written.map((w) => w.name)), sorted(leaves));
  t.true(after.written.every((w) => w.reason === 'expires soon'));
  t.is(after.certs['ca']!.fingerprint, first.certs['ca']!.fingerprint);
  const validTo = Date.parse(new X509Certificate(after.certs['admin']!.certPem).validTo);
  t.true(validTo > later.getTime() + 364 * 86_400_000);
});

test('damage heals: a corrupt certificate, a widened key mode and a lost SSH public key', async (t) => {
  const copy = await copyPki(dir);
  await fs.writeFile(path.join(copy, 'admin.crt'), 'not a certificate\n');
  await fs.chmod(path.join(copy, 'kubelet/node4.key'), 0o644);
  await fs.chmod(path.join(copy, 'kubelet'), 0o755);
  await fs.rm(path.join(copy, 'ssh/id_ed25519.pub'));
  const before = await snapshot(copy);
  const after = await ensureLabPki(lab, { dir: copy });

  t.deepEqual(after.written, [
    { name: 'admin', reason: 'new certificate' },
    { name: 'ssh/id_ed25519.pub', reason: 'public key missing or stale' },
  ]);
  t.deepEqual(rewritten(before, await snapshot(copy)), ['admin.crt', 'ssh/id_ed25519.pub']);
  // The admin key is kept, so only the certificate is new.
  t.is(after.certs['admin']!.key.reveal(), first.certs['admin']!.key.reveal());
  t.not(after.certs['admin']!.fingerprint, first.certs['admin']!.fingerprint);
  t.is((await fs.stat(path.join(copy, 'kubelet/node4.key'))).mode & 0o777, 0o600);
  t.is((await fs.stat(path.join(copy, 'kubelet'))).mode & 0o777, 0o700);
  // Rebuilt from the private key, the public line is the one generated with it.
  t.is(await fs.readFile(path.join(copy, 'ssh/id_ed25519.pub'), 'utf8'), first.ssh.publicKey);
});

test('a leaf on an RSA key, as labs made before leaves were ECDSA, gets a new ECDSA key and certificate', async (t) => {
  const copy = await copyPki(dir);
  await fs.writeFile(path.join(copy, 'etcd/node2-peer.key'), await testKey(), { mode: 0o600 });
  const after = await ensureLabPki(lab, { dir: copy });
  t.deepEqual(after.written, [{ name: 'etcd/node2-peer', reason: 'key type rsa, planned ecdsa' }]);
  const cert = new X509Certificate(after.certs['etcd/node2-peer']!.certPem);
  t.is(cert.publicKey.asymmetricKeyType, 'ec');
  t.true(cert.checkPrivateKey(createPrivateKey(await fs.readFile(path.join(copy, 'etcd/node2-peer.key'), 'utf8'))));
});

for (const [name, pair] of [['service-account', 'serviceAccount'], ['release', 'release']] as const) {
  test(`a lost ${name} key is replaced with a new pair; a stale public half is rewritten`, async (t) => {
    const copy = await copyPki(dir);
    await fs.writeFile(path.join(copy, `${name}.pub`), first.ssh.publicKey);
    const fixed = await ensureLabPki(lab, { dir: copy });
    t.deepEqual(fixed.written, [{ name: `${name}.pub`, reason: 'public key missing or stale' }]);
    t.is(await fs.readFile(path.join(copy, `${name}.pub`), 'utf8'), first[pair].publicPem);

    await fs.rm(path.join(copy, `${name}.key`));
    const renewed = await ensureLabPki(lab, { dir: copy, newKey: testKey });
    t.deepEqual(
      renewed.written.map((w) => w.name),
      [`${name}.key`, `${name}.pub`],
    );
    t.not(renewed[pair].publicPem, first[pair].publicPem);
  });
}

test('no stray temp files are left behind', async (t) => {
  const copy = await copyPki(dir);
  await fs.rm(path.join(copy, 'kubelet'), { recursive: true });
  await ensureLabPki(lab, { dir: copy });
  const names = [...(await snapshot(copy)).keys()];
  t.deepEqual(names.filter((name) => name.endsWith('.tmp')), []);
  t.is(names.length, plans.length * 2 + 6);
});
