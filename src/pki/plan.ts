import { kubeServiceIp } from '../ground/cluster.js';
import type { LabSpec } from '../ground/lab-spec.js';
import { labModel } from '../ground/lab-model.js';

/** What the lab's certificates are, as data: pure, so it can be tested and rendered into Ignition. */

export type CaName = 'ca' | 'etcd-ca';
/**
 * CAs are RSA, leaves ECDSA P-256. Under TCG a guest signs with RSA-2048 in 25.7 ms and with
 * P-256 in 0.7 ms (openssl speed), and every mutual-TLS handshake signs once on each side; the
 * chain checks stay RSA verifies, the cheapest of all (0.32 ms).
 */
export type KeyType = 'rsa' | 'ecdsa';
export type KeyUsage = 'digitalSignature' | 'keyCertSign' | 'cRLSign';
export type ExtKeyUsage = 'serverAuth' | 'clientAuth';

export interface CertPlan {
  /** File stem under the PKI dir, e.g. `etcd/node1-server` -> etcd/node1-server.crt + .key. */
  name: string;
  /** The CA that signs it; absent for the self-signed CAs themselves. */
  ca?: CaName;
  subject: { cn: string; o?: string };
  sans: { dns: string[]; ips: string[] };
  isCa: boolean;
  keyType: KeyType;
  keyUsage: KeyUsage[];
  extKeyUsage: ExtKeyUsage[];
  validityDays: number;
}

/** The in-cluster names of the `kubernetes` Service, in the order kubeadm lists them. */
const KUBE_SERVICE_NAMES = [
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];

const CA_DAYS = 3650;
const LEAF_DAYS = 365;

/** The key pair the apiserver signs service-account tokens with (a key pair, no certificate). */
export const SERVICE_ACCOUNT_KEY = 'service-account';
/** The key pair that signs the lab's release channels (src/release); nodes verify with its public half. */
export const RELEASE_KEY = 'release';

/** Every certificate the lab needs, CAs first so a single pass can issue them in order. */
export function planCerts(lab: LabSpec): CertPlan[] {
  const domain = lab.network.domain;
  const { controllers } = labModel(lab);
  const nodeSans = (node: { name: string; ip: string }) => ({
    dns: [node.name, `${node.name}.${domain}`],
    ips: [node.ip],
  });
  const leaf = (
    name: string,
    ca: CaName,
    subject: CertPlan['subject'],
    extKeyUsage: ExtKeyUsage[],
    sans: CertPlan['sans'] = { dns: [], ips: [] },
  ): CertPlan => ({
    name,
    ca,
    subject,
    sans: { dns: unique(sans.dns), ips: unique(sans.ips) },
    isCa: false,
    keyType: 'ecdsa',
    // An ECDSA key signs and never encrypts: no keyEncipherment (RFC 5480, 3).
    keyUsage: ['digitalSignature'],
    extKeyUsage,
    validityDays: LEAF_DAYS,
  });
  const ca = (name: CaName, cn: string): CertPlan => ({
    name,
    subject: { cn, o: 'metal-lab' },
    sans: { dns: [], ips: [] },
    isCa: true,
    keyType: 'rsa',
    keyUsage: ['digitalSignature', 'keyCertSign', 'cRLSign'],
    extKeyUsage: [],
    validityDays: CA_DAYS,
  });

  const etcd = controllers.flatMap((node) => {
    // Local clients (etcdctl on the node, health checks) reach etcd on localhost.
    const sans = { dns: [...nodeSans(node).dns, 'localhost'], ips: [node.ip, '127.0.0.1'] };
    return [
      // clientAuth too: etcd's gRPC gateway dials its own server with this certificate (etcd#9785);
      // without it etcd logs "rejected connection ... incompatible key usage" all the time.
      leaf(`etcd/${node.name}-server`, 'etcd-ca', { cn: node.name }, ['serverAuth', 'clientAuth'], sans),
      leaf(`etcd/${node.name}-peer`, 'etcd-ca', { cn: node.name }, ['serverAuth', 'clientAuth'], sans),
    ];
  });

  // Every controller runs an API server, and a client may name any one of them or the API name.
  const apiserverSans = {
    dns: [
      ...KUBE_SERVICE_NAMES,
      ...(lab.kubernetes ? [lab.kubernetes.apiName] : []),
      ...controllers.flatMap((node) => nodeSans(node).dns),
    ],
    ips: [...controllers.map((node) => node.ip), kubeServiceIp(), '127.0.0.1'],
  };

  return [
    ca('ca', `metal-lab ${lab.id} CA`),
    ca('etcd-ca', `metal-lab ${lab.id} etcd CA`),
    ...etcd,
    leaf('etcd/client', 'etcd-ca', { cn: 'etcd-client' }, ['clientAuth']),
    leaf('apiserver', 'ca', { cn: 'kube-apiserver' }, ['serverAuth'], apiserverSans),
    leaf('admin', 'ca', { cn: 'admin', o: 'system:masters' }, ['clientAuth']),
    ...lab.nodes.map((node) =>
      leaf(`kubelet/${node.name}`, 'ca', { cn: `system:node:${node.name}`, o: 'system:nodes' }, ['clientAuth']),
    ),
  ];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
