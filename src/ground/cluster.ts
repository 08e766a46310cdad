import { intToIp, ipToInt } from './ipv4.js';
import { LabError } from '../errors.js';
import { METAL_LAB_VERSION } from './version.js';

/**
 * The Kubernetes cluster a lab runs, as data shared by the image builder, Ignition, the
 * bootkube-style render and the pivot. One place, so paths and names cannot drift apart.
 */

/** The Kubernetes release the binaries are built from (Debian's source package), as the render's default. */
export const DEFAULT_KUBE_VERSION = 'v1.20.2';

/** Typhoon's default pod range: the controller-manager gives each node a /24 of it (Node spec.podCIDR). */
export const POD_CIDR = '10.2.0.0/16';
export const NODE_POD_CIDR_BITS = 24;

/** Kubernetes' service network (Typhoon's default); its first address is the `kubernetes` Service. */
export const KUBE_SERVICE_CIDR = '10.3.0.0/16';

export function kubeServiceIp(cidr = KUBE_SERVICE_CIDR): string {
  const [network = ''] = cidr.split('/');
  return intToIp(ipToInt(network) + 1);
}

/** The cluster DNS Service's address, the tenth of the service range as in Typhoon (10.3.0.10). */
export function clusterDnsIp(cidr = KUBE_SERVICE_CIDR): string {
  const [network = ''] = cidr.split('/');
  return intToIp(ipToInt(network) + 10);
}

export const CLUSTER_DOMAIN = 'cluster.local';

/** Registry-less names: the lab loads every image into containerd itself, nothing is ever pulled. */
export const IMAGE_REGISTRY = 'metal-lab.local';

/** `addons`: the pod network and cluster DNS add-ons' image (busybox, kubectl, dnsmasq). */
export type ImageName = 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kube-proxy' | 'pause' | 'busybox' | 'addons';

export const IMAGE_NAMES: readonly ImageName[] = [
  'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy', 'pause', 'busybox', 'addons',
];

/**
 * Images only controllers run: the bootstrap control plane's static pods (on the bootkube
 * controller) and the self-hosted plane, kept to controllers by its node selector. Workers are
 * not given them: under TCG importing an image costs a guest minutes.
 */
export const CONTROLLER_ONLY_IMAGES: readonly ImageName[] = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'];

/** An image reference, e.g. metal-lab.local/kube-apiserver:v1.20.2. */
export function imageRef(name: ImageName, tag: string): string {
  return `${IMAGE_REGISTRY}/${name}:${tag}`;
}

/** The update operator (FLUO) release the lab builds from source (src/images/fluo-source.ts pins it). */
export const FLUO_VERSION = '0.9.0';
export const FLUO_IMAGE = 'flatcar-linux-update-operator';

/** The one image holding FLUO's operator and agent, as `metal-lab build fluo` packages it. */
export function fluoImageRef(version = FLUO_VERSION): string {
  return `${IMAGE_REGISTRY}/${FLUO_IMAGE}:v${version}`;
}

/**
 * The rollout guard (src/guard) runs from its own image, built locally like the others; it is
 * part of metal-lab and carries its version (package.json's).
 */
export const ROLLOUT_GUARD_VERSION = METAL_LAB_VERSION;
export const ROLLOUT_GUARD_IMAGE = 'rollout-guard';

export function rolloutGuardImageRef(version = ROLLOUT_GUARD_VERSION): string {
  return `${IMAGE_REGISTRY}/${ROLLOUT_GUARD_IMAGE}:v${version}`;
}

/** Where things live on a node, as the talk's Container Linux had them. */
export const NODE_PATHS = {
  /** The kubelet's kubeconfig: kubelet.path starts the kubelet once the lab has copied it here. */
  kubeconfig: '/etc/kubernetes/kubeconfig',
  /** The cluster CA the kubelet trusts for its API server. */
  caCert: '/etc/kubernetes/ca.crt',
  /** Static pods the kubelet runs without an API server. */
  staticPods: '/etc/kubernetes/manifests',
  /** TLS and keys the temporary control plane reads (bootkube's layout). */
  bootstrapSecrets: '/etc/kubernetes/bootstrap-secrets',
  /** The self-hosted apiserver's checkpoint: a static pod kept aside, activated only while no apiserver runs. */
  checkpoints: '/etc/kubernetes/checkpoints',
  /** The files of the kube-apiserver Secret, for the checkpoint (a static pod cannot mount Secrets). */
  checkpointSecrets: '/etc/kubernetes/checkpoint-secrets',
  /** OCI archives Ignition downloads; containerd imports them at boot. */
  images: '/var/lib/metal-lab/images',
  /** kubelet, kubectl: Ignition downloads them from the boot server's assets. */
  bin: '/opt/bin',
  cniConfig: '/etc/cni/net.d',
  /** Debian's containernetworking-plugins install here. */
  cniBin: '/usr/lib/cni',
} as const;

export const APISERVER_PORT = 6443;
/** The kubelet's read-only port: Matchbox's smoke tests read /healthz there. */
export const KUBELET_READONLY_PORT = 10255;
export const KUBELET_HEALTHZ_PORT = 10248;

/** Label the kubelet puts on controllers (node.kubernetes.io/* is a prefix kubelets may set themselves). */
export const CONTROLLER_LABEL = 'node.kubernetes.io/controller';

/** The version's minor number: a few flags exist only in some releases. */
export function kubeMinor(kubeVersion: string): number {
  const m = /^v1\.(\d+)\.\d+$/.exec(kubeVersion);
  if (!m) throw new LabError(`Kubernetes version "${kubeVersion}" is not v1.MINOR.PATCH`, 'pass a version such as v1.20.2', 2);
  return Number(m[1]);
}
