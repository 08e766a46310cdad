import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import path from 'node:path';
import test from 'ava';
import { parse } from 'yaml';
import { DEFAULT_KUBE_VERSION } from '../../../../src/ground/cluster.js';
import { renderBootkubeAssets, type KubeObject } from '../../../../src/render/bootkube/index.js';
import { freshPki, goldenLab } from '../../../support/bootkube-fixture.js';
import { matchesGoldenDir } from '../../../support/golden-dir.js';

const lab = goldenLab();
const opts = { kubeVersion: DEFAULT_KUBE_VERSION, timeoutScale: 6 };

// Two independent PKIs: a file that differs between their renders carries key material; every
// other file must not depend on the PKI at all, and is compared byte for byte with its golden copy.
const renders = Promise.all([freshPki(lab), freshPki(lab)]).then(([a, b]) => ({
  pki: a,
  a: renderBootkubeAssets(lab, a, opts),
  b: renderBootkubeAssets(lab, b, opts),
}));

const SECRET_FILES = [
  /^tls\//,
  /^auth\/kubeconfig$/,
  /^auth\/kubelet\/(c1|w1)\.kubeconfig$/,
  /^manifests\/20-(kube-apiserver|kube-controller-manager)-secret\.yaml$/,
  /^checkpoints\/secrets\//,
];

test('exactly the key-carrying files depend on the PKI', async (t) => {
  const { a, b } = await renders;
  t.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  const varying = [...a.keys()].filter((f) => a.get(f) !== b.get(f)).sort();
  t.deepEqual(varying, [...a.keys()].filter((f) => SECRET_FILES.some((re) => re.test(f))).sort());
  t.true(varying.length >= 20, `${varying.length} varying files`);
});

test('the PKI-independent files match test/golden/bootkube byte for byte', async (t) => {
  const { a, b } = await renders;
  const stable = new Map([...a].filter(([f, text]) => text === b.get(f)));
  await matchesGoldenDir(t, 'bootkube', stable, import.meta.url);
});

test('rendering is deterministic for one PKI', async (t) => {
  const { pki, a } = await renders;
  t.deepEqual([...renderBootkubeAssets(lab, pki, opts)], [...a]);
});

test('certificates and keys parse, and the kubeconfigs carry the right identities', async (t) => {
  const { pki, a } = await renders;
  const ca = new X509Certificate(a.get('tls/ca.crt')!);
  for (const [file, text] of a) {
    if (file.endsWith('.crt')) t.truthy(new X509Certificate(text).subject, file);
    // The CA and service-account keys are RSA; the keys of certificates under a CA are ECDSA.
    const rsa = /(^|\/)(ca|service-account)\.key$/.test(file);
    if (file.endsWith('.key')) t.is(createPrivateKey(text).asymmetricKeyType, rsa ? 'rsa' : 'ec', file);
  }
  t.truthy(createPublicKey(a.get('tls/service-account.pub')!));
  t.is(a.get('tls/service-account.key'), pki.serviceAccount.key.reveal());
  t.is(a.get('tls/etcd-client-ca.crt'), pki.certs['etcd-ca']!.certPem);
  t.true(new X509Certificate(a.get('tls/apiserver.crt')!).verify(ca.publicKey));

  const identity = (file: string) => {
    const cfg = parse(a.get(file)!) as {
      clusters: { cluster: { server: string; 'tls-server-name'?: string; 'certificate-authority-data': string } }[];
      users: { user: { 'client-certificate-data': string; 'client-key-data': string } }[];
    };
    const b64 = (s: string) => Buffer.from(s, 'base64').toString();
    const cert = new X509Certificate(b64(cfg.users[0]!.user['client-certificate-data']));
    // The embedded key belongs to the embedded certificate.
    t.true(cert.checkPrivateKey(createPrivateKey(b64(cfg.users[0]!.user['client-key-data']))), file);
    t.is(b64(cfg.clusters[0]!.cluster['certificate-authority-data']), a.get('tls/ca.crt')!);
    const { server, 'tls-server-name': tlsServerName } = cfg.clusters[0]!.cluster;
    return { server, tlsServerName, subject: cert.subject };
  };
  // The host goes through the front door on the bridge address and checks the API name; nodes name the API.
  t.deepEqual(identity('auth/kubeconfig'), { server: 'https://172.30.5.1:6443', tlsServerName: 'cluster.example.com', subject: 'O=system:masters\nCN=admin' });
  t.deepEqual(identity('auth/kubelet/w1.kubeconfig'), { server: 'https://cluster.example.com:6443', tlsServerName: undefined, subject: 'O=system:nodes\nCN=system:node:w1' });

  // Secrets hold the same files as tls/, and the checkpoint holds the apiserver Secret's files.
  const secretData = (file: string) => (parse(a.get(file)!) as KubeObject & { data: Record<string, string> }).data;
  const apiserverSecret = secretData('manifests/20-kube-apiserver-secret.yaml');
  for (const [key, value] of Object.entries(apiserverSecret)) {
    t.is(Buffer.from(value, 'base64').toString(), a.get(`tls/${key}`)!, key);
    t.is(a.get(`checkpoints/secrets/${key}`), a.get(`tls/${key}`), key);
  }
  t.deepEqual(
    [...a.keys()].filter((f) => f.startsWith('checkpoints/secrets/')).map((f) => path.basename(f)).sort(),
    Object.keys(apiserverSecret).sort(),
  );
  t.deepEqual(Object.keys(secretData('manifests/20-kube-controller-manager-secret.yaml')).sort(), ['ca.crt', 'ca.key', 'service-account.key']);
});
