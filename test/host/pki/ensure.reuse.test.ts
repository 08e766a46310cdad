import { X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { ensureLabPki } from '../../../src/pki/ensure.js';
import { needs, program } from '../../support/needs.js';
import { copyPki, fingerprints, issuedTalkPki, rewritten, snapshot, sorted } from '../../support/pki-fixture.js';

// openssl verifies the re-issued chains, independently of @peculiar/x509 and node:crypto.
const test = needs(program('openssl', 'openssl'));

const { lab, plans, dir, first } = await issuedTalkPki();

test('a node whose IP changes gets new etcd and apiserver certificates over the same keys; nothing else changes', async (t) => {
  const copy = await copyPki(dir);
  const moved = structuredClone(lab);
  moved.nodes.find((node) => node.name === 'node1')!.ip = '172.18.0.31';
  const before = await snapshot(copy);
  const after = await ensureLabPki(moved, { dir: copy });

  const changed = ['etcd/node1-server', 'etcd/node1-peer', 'apiserver'];
  t.deepEqual(sorted(after.written.map((w) => w.name)), sorted(changed));
  t.true(after.written.every((w) => w.reason === 'SANs changed'));
  t.deepEqual(rewritten(before, await snapshot(copy)), sorted(changed.map((name) => `${name}.crt`)));
  for (const [name, fp] of Object.entries(fingerprints(after))) {
    if (changed.includes(name)) t.not(fp, first.certs[name]!.fingerprint, name);
    else t.is(fp, first.certs[name]!.fingerprint, name);
  }
  t.is(
    new X509Certificate(after.certs['etcd/node1-peer']!.certPem).subjectAltName,
    'DNS:node1, DNS:node1.example.com, DNS:localhost, IP Address:172.18.0.31, IP Address:127.0.0.1',
  );
  t.regex(new X509Certificate(after.certs['apiserver']!.certPem).subjectAltName ?? '', /IP Address:172\.18\.0\.31,/);
  const verified = await execa('openssl', ['verify', '-CAfile', `${copy}/etcd-ca.crt`, `${copy}/etcd/node1-peer.crt`]);
  t.regex(verified.stdout, /: OK$/);
});

test('a lost CA key makes a new CA, and everything it signed is re-issued; the other CA tree stays', async (t) => {
  const copy = await copyPki(dir);
  await fs.rm(path.join(copy, 'etcd-ca.key'));
  const after = await ensureLabPki(lab, { dir: copy });

  const etcdLeaves = plans.filter((p) => p.ca === 'etcd-ca').map((p) => p.name);
  t.deepEqual(sorted(after.written.map((w) => w.name)), sorted(['etcd-ca', ...etcdLeaves]));
  t.is(after.written.find((w) => w.name === 'etcd-ca')?.reason, 'new key');
  t.true(after.written.filter((w) => w.name !== 'etcd-ca').every((w) => w.reason === 'not signed by the current etcd-ca'));
  for (const plan of plans.filter((p) => p.name !== 'etcd-ca' && p.ca !== 'etcd-ca')) {
    t.is(after.certs[plan.name]!.fingerprint, first.certs[plan.name]!.fingerprint, plan.name);
  }
  const verified = await execa('openssl', ['verify', '-CAfile', `${copy}/etcd-ca.crt`, ...etcdLeaves.map((n) => `${copy}/${n}.crt`)]);
  t.is(verified.stdout.split('\n').length, etcdLeaves.length);
});
