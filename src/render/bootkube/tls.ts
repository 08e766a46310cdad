import type { LabPki } from '../../pki/ensure.js';

/**
 * The tls/ files, by the names bootkube used: the pivot copies them to the bootstrap secrets dir,
 * and the self-hosted Secrets carry subsets under the same names, so one set of flags fits all.
 */
export type TlsFile =
  | 'ca.crt' | 'ca.key'
  | 'apiserver.crt' | 'apiserver.key'
  | 'service-account.key' | 'service-account.pub'
  | 'etcd-client-ca.crt' | 'etcd-client.crt' | 'etcd-client.key'
  | 'admin.crt' | 'admin.key';

export type TlsFiles = Record<TlsFile, string>;

function cert(pki: LabPki, name: string) {
  const material = pki.certs[name];
  if (!material) throw new Error(`the lab PKI has no certificate ${name}`);
  return material;
}

export function tlsFiles(pki: LabPki): TlsFiles {
  const pair = (name: string) => [cert(pki, name).certPem, cert(pki, name).key.reveal()] as const;
  const [caCrt, caKey] = pair('ca');
  const [apiCrt, apiKey] = pair('apiserver');
  const [etcdCrt, etcdKey] = pair('etcd/client');
  const [adminCrt, adminKey] = pair('admin');
  return {
    'ca.crt': caCrt,
    'ca.key': caKey,
    'apiserver.crt': apiCrt,
    'apiserver.key': apiKey,
    'service-account.key': pki.serviceAccount.key.reveal(),
    'service-account.pub': pki.serviceAccount.publicPem,
    'etcd-client-ca.crt': cert(pki, 'etcd-ca').certPem,
    'etcd-client.crt': etcdCrt,
    'etcd-client.key': etcdKey,
    'admin.crt': adminCrt,
    'admin.key': adminKey,
  };
}

export function pick<K extends TlsFile>(files: TlsFiles, names: readonly K[]): Record<K, string> {
  return Object.fromEntries(names.map((n) => [n, files[n]])) as Record<K, string>;
}
