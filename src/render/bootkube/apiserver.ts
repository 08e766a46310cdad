import { APISERVER_PORT, KUBE_SERVICE_CIDR } from '../../ground/cluster.js';
import type { LabSpec } from '../../ground/lab-spec.js';
import { controlPlane } from '../../ground/lab-model.js';
import { kubeMinor } from '../../ground/cluster.js';
import { CHECKPOINT_ANNOTATION, CHECKPOINT_OF_ANNOTATION, podLabels, type Stage } from './objects.js';
import type { TimingOptions } from './control-plane.js';
import { podTemplate, secretsMount, type PodTemplate } from './pod.js';
import type { TlsFile } from './tls.js';

export const APISERVER = 'kube-apiserver';

/** What the apiserver reads in every stage: the kube-apiserver Secret and the checkpoint's files are exactly these. */
export const APISERVER_SECRET_FILES = [
  'ca.crt',
  'apiserver.crt',
  'apiserver.key',
  'service-account.pub',
  // Signs bound service-account tokens (TokenRequest), which 1.20 requires an issuer and key for.
  'service-account.key',
  'etcd-client-ca.crt',
  'etcd-client.crt',
  'etcd-client.key',
  'admin.crt',
  'admin.key',
] as const satisfies readonly TlsFile[];

/**
 * Every apiserver runs on a controller beside its etcd member, and talks to that member only, over
 * loopback (kubeadm's stacked etcd; Typhoon lists every member). A 1.20 apiserver opens a client
 * per resource type: listing all members made each apiserver's reconnects a storm of TLS handshakes
 * on every member, which in ha run 8 kept a starved TCG etcd from ever keeping a leader. An
 * apiserver whose member is lost or cut off fails its readiness, and the API name's front door
 * goes to another controller.
 */
const ETCD_LOCAL_SERVER = 'https://127.0.0.1:2379';

/**
 * The apiserver's flags; only where its secrets are and what it advertises differ between stages.
 * Without an advertise address the apiserver takes the address of its default-route interface.
 */
export function apiserverFlags(t: TimingOptions, secretsDir: string, advertiseAddress?: string): string[] {
  const s = (file: (typeof APISERVER_SECRET_FILES)[number]) => `${secretsDir}/${file}`;
  return [
    ...(advertiseAddress ? [`--advertise-address=${advertiseAddress}`] : []),
    '--allow-privileged=true',
    '--authorization-mode=Node,RBAC',
    `--client-ca-file=${s('ca.crt')}`,
    '--enable-admission-plugins=NodeRestriction',
    `--etcd-cafile=${s('etcd-client-ca.crt')}`,
    `--etcd-certfile=${s('etcd-client.crt')}`,
    `--etcd-keyfile=${s('etcd-client.key')}`,
    `--etcd-servers=${ETCD_LOCAL_SERVER}`,
    // /healthz and /readyz read a key from etcd within this (2 s by default). Under TCG a quorum
    // read takes 2-11 s, so in ha run 15 all three apiservers served requests yet failed the check
    // for 30 minutes, and the pivot's handover waited on it. It stretches as the kubelet's
    // heartbeat does: Kubernetes' contract, in slower time.
    `--etcd-healthcheck-timeout=${2 * t.timeoutScale}s`,
    // Counting every resource type is a quorum read per type and minute for a metric the lab never
    // reads; on a starved TCG etcd those reads took 1-3 s each and crowded out the pivot's own.
    `--etcd-count-metric-poll-period=${t.timeoutScale}m`,
    // No request limiting, so none of its sample-and-watermark histograms: in 1.20 these record one
    // sample per millisecond since their last update, in a loop. Profiles of the bootstrap apiserver
    // under TCG found 40-43% of its CPU there, most of it Priority and Fairness's.
    '--enable-priority-and-fairness=false',
    '--max-requests-inflight=0',
    '--max-mutating-requests-inflight=0',
    // Until 1.24 the apiserver also serves plain HTTP on 127.0.0.1:8080, without port sharing:
    // a second apiserver on the node would fail to bind it and exit.
    ...(kubeMinor(t.kubeVersion) < 24 ? ['--insecure-port=0'] : []),
    // The kubelet client is the admin identity (O=system:masters): more than the kubelet API needs,
    // acceptable in a lab, and it spares a ClusterRoleBinding to system:kubelet-api-admin.
    `--kubelet-client-certificate=${s('admin.crt')}`,
    `--kubelet-client-key=${s('admin.key')}`,
    '--kubelet-preferred-address-types=InternalIP',
    // SO_REUSEPORT (1.19+): the self-hosted apiserver binds 6443 while the bootstrap one still
    // holds it, so the pivot can overlap them instead of leaving a gap with no API.
    '--permit-port-sharing=true',
    `--secure-port=${APISERVER_PORT}`,
    // In-cluster clients are told this issuer; the apiserver itself is its audience.
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${s('service-account.pub')}`,
    `--service-account-signing-key-file=${s('service-account.key')}`,
    `--service-cluster-ip-range=${KUBE_SERVICE_CIDR}`,
    `--tls-cert-file=${s('apiserver.crt')}`,
    `--tls-private-key-file=${s('apiserver.key')}`,
  ];
}

/**
 * The apiserver pod in any stage: the bootstrap static pod on the first controller, the DaemonSet's
 * template on every controller, and its checkpoint (the same pod as a static pod reading secrets
 * from disk, for booting when no apiserver answers).
 */
export function apiserverPod(lab: LabSpec, t: TimingOptions, stage: Stage): PodTemplate {
  const secrets = secretsMount(stage, APISERVER);
  // The bootstrap pod runs on one known node; the DaemonSet's run wherever it places them, and
  // the kubelet fills in the node's address. Not for the checkpoint: after a full reboot its
  // kubelet has no Node object yet and could not resolve status.hostIP, so it advertises the
  // node's default-route address, which is the same one.
  const fromHost = stage === 'self-hosted';
  const annotations: Record<string, string> | undefined =
    stage === 'self-hosted' ? { [CHECKPOINT_ANNOTATION]: 'true' } : stage === 'checkpoint' ? { [CHECKPOINT_OF_ANNOTATION]: APISERVER } : undefined;
  return podTemplate({
    image: APISERVER,
    kubeVersion: t.kubeVersion,
    labels: podLabels(APISERVER, stage),
    annotations,
    args: apiserverFlags(t, secrets.mountPath, fromHost ? '$(HOST_IP)' : stage === 'bootstrap' ? controlPlane(lab).node.ip : undefined),
    env: fromHost ? [{ name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }] : undefined,
    mounts: [secrets],
    priorityClassName: 'system-cluster-critical',
    controllersOnly: stage === 'self-hosted',
  });
}
