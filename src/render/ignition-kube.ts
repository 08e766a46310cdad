import { CLUSTER_DOMAIN, clusterDnsIp, CONTROLLER_LABEL, CONTROLLER_ONLY_IMAGES, imageRef, KUBELET_HEALTHZ_PORT, KUBELET_READONLY_PORT, NODE_PATHS } from '../ground/cluster.js';
import type { LabPki } from '../pki/ensure.js';
import type { NodeSpec } from '../ground/lab-spec.js';
import { renderCriExitWatchdog } from './cri-exit-watchdog.js';
import { file, remoteFile, type IgnFile, type IgnUnit } from './ignition-files.js';

/** Under the boot server's /assets: what Kubernetes nodes download on their first boot (`<dir>/<version>/`). */
export const KUBE_ASSET_DIR = 'kubernetes';

/** One file the boot server serves under the lab's Kubernetes asset dir, with its digest for Ignition. */
export interface KubeAsset {
  name: string;
  sha512: string;
}

/** What a Kubernetes node downloads on first boot: the kubelet, kubectl and the OCI image archives. */
export interface KubeNodeAssets {
  version: string;
  /** e.g. http://172.24.0.1:8080/assets/kubernetes/v1.20.2 */
  baseUrl: string;
  kubelet: KubeAsset;
  kubectl: KubeAsset;
  images: (KubeAsset & { ref: string })[];
  /** The pause image's reference: containerd's pod sandbox. */
  pauseRef: string;
}

const CONTAINERD_SOCKET = 'unix:///run/containerd/containerd.sock';

/** containerd's CRI: our pause image (nothing is ever pulled) and Debian's CNI plugin dir. */
function containerdConfig(k: KubeNodeAssets): string {
  return `version = 2

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${k.pauseRef}"

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "${NODE_PATHS.cniBin}"
  conf_dir = "${NODE_PATHS.cniConfig}"
`;
}

/**
 * KubeletConfiguration v1beta1 (1.20). Image GC is off: an image removed could never be pulled again.
 * The heartbeat stretches with the timeout scale, as the controller-manager's node-monitor grace
 * period does: its requests time out after the status period, and two failures in a row close
 * every connection the kubelet has, so a 10 s heartbeat to a busy TCG control plane re-lists all of
 * the kubelet's watches every few minutes, on every node, and keeps the plane busy.
 */
function kubeletConfig(timeoutScale: number): string {
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: ${NODE_PATHS.caCert}
authorization:
  mode: Webhook
cgroupDriver: cgroupfs
clusterDomain: ${CLUSTER_DOMAIN}
clusterDNS: [${clusterDnsIp()}]
# Pods with dnsPolicy Default get the node's upstream, not resolved's 127.0.0.53 stub (unreachable from a pod).
resolvConf: /run/systemd/resolve/resolv.conf
staticPodPath: ${NODE_PATHS.staticPods}
healthzBindAddress: 0.0.0.0
healthzPort: ${KUBELET_HEALTHZ_PORT}
readOnlyPort: ${KUBELET_READONLY_PORT}
failSwapOn: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 50Mi
  nodefs.available: 2%
  imagefs.available: 2%
runtimeRequestTimeout: ${2 * timeoutScale}m
nodeStatusUpdateFrequency: ${10 * timeoutScale}s
nodeLeaseDurationSeconds: ${40 * timeoutScale}
`;
}

/**
 * No [Install] section: only kubelet.path starts it. labos enables every installable unit at first
 * boot (systemd's presets), and a kubelet started before its kubeconfig exits and restarts every
 * 10-20 s, each start about 5 s of a TCG guest's CPU while it imports images and starts etcd.
 * cAdvisor's per-container housekeeping (a flag only, not in KubeletConfiguration) stretches with
 * the timeout scale: under TCG its cgroup reads every 10 s were a quarter of a busy kubelet's CPU.
 */
function kubeletUnit(node: NodeSpec, timeoutScale: number): string {
  const label = node.role === 'controller' ? `${CONTROLLER_LABEL}=true` : 'node.kubernetes.io/node=';
  return `[Unit]
Description=Kubelet (started by kubelet.path once the lab has copied its kubeconfig)
Wants=containerd.service metal-lab-images.service
After=containerd.service metal-lab-images.service

[Service]
ExecStartPre=/bin/mkdir -p ${NODE_PATHS.staticPods} /var/lib/kubelet
ExecStart=${NODE_PATHS.bin}/kubelet \\
  --config=/etc/kubernetes/kubelet.yaml \\
  --kubeconfig=${NODE_PATHS.kubeconfig} \\
  --container-runtime=remote \\
  --container-runtime-endpoint=${CONTAINERD_SOCKET} \\
  --node-ip=${node.ip} \\
  --node-labels=${label} \\
  --housekeeping-interval=${10 * timeoutScale}s \\
  --v=1
Restart=always
RestartSec=5
`;
}

/** As in the talk: the kubelet waits for its kubeconfig, which the lab copies over SSH. */
const KUBELET_PATH = `[Unit]
Description=Start the kubelet once its kubeconfig exists

[Path]
PathExists=${NODE_PATHS.kubeconfig}

[Install]
WantedBy=multi-user.target
`;

/** Imports the archives once; the marker keeps later boots from unpacking them again. */
const IMAGES_UNIT = `[Unit]
Description=Load the lab's container images into containerd
Requires=containerd.service
After=containerd.service
ConditionPathExists=!${NODE_PATHS.images}/.imported

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -ec 'for f in ${NODE_PATHS.images}/*.tar; do ctr -n k8s.io images import "$f"; done; touch ${NODE_PATHS.images}/.imported'

[Install]
WantedBy=multi-user.target
`;

/**
 * The sed program that turns the saved checkpoint into this node's static pod: the checkpoint is
 * the same for every controller, and without a default route on the lab network the apiserver
 * cannot pick its own advertise address, so the node's IP goes in after the command's first word.
 */
export function checkpointSed(node: Pick<NodeSpec, 'ip'>): string {
  return `s|^\\( *\\)- kube-apiserver$|&\\n\\1- --advertise-address=${node.ip}|`;
}

/** jq: the pod list's kube-apiserver pods of the DaemonSet that are not being deleted (an open array); a kubelet with no pods lists null. */
const CHECKPOINT_PARENTS = `[.items[]? | select(.metadata.name | startswith("kube-apiserver-"))
  | select(.metadata.deletionTimestamp == null)
  | select(any(.metadata.ownerReferences[]?; .kind == "DaemonSet"))`;

/** jq: does the pod list hold the DaemonSet's kube-apiserver pod? */
export const CHECKPOINT_PARENT_KNOWN = `${CHECKPOINT_PARENTS}] | length > 0`;

/** jq: does the pod list hold the DaemonSet's kube-apiserver pod, alive and started since $boot? */
export const CHECKPOINT_PARENT_RUNNING = `${CHECKPOINT_PARENTS}
  | select(any(.status.containerStatuses[]?; (.state.running.startedAt // "1970-01-01T00:00:00Z") | fromdateiso8601 > $boot))
] | length > 0`;

/**
 * bootkube's pod-checkpointer, as a node unit (its Go source is not reachable offline). After the
 * pivot, the lab leaves a static-pod copy of the self-hosted apiserver in NODE_PATHS.checkpoints.
 * While no apiserver answers and this node's kubelet has no DaemonSet pod to run (a full reboot, a
 * deleted pod), the copy runs as a static pod; once the DaemonSet's own pod runs, it is removed.
 */
const checkpointScript = (node: NodeSpec) => `#!/bin/sh
set -u
PARENT_KNOWN='${CHECKPOINT_PARENT_KNOWN}'
PARENT_RUNNING='${CHECKPOINT_PARENT_RUNNING}'
saved=${NODE_PATHS.checkpoints}/kube-apiserver.yaml
active=${NODE_PATHS.staticPods}/kube-apiserver-checkpoint.yaml
kubectl="${NODE_PATHS.bin}/kubectl --kubeconfig=${NODE_PATHS.kubeconfig} --request-timeout=20s"
node=$(hostname)

# The DaemonSet's own pod on this node, running since this boot and not being deleted: after a
# full reboot the API still shows the old pod Running until the kubelet reports again, and a pod
# in its grace period still says Running while its apiserver shuts down.
parent_running() {
  pods=$($kubectl -n kube-system get pods --field-selector "spec.nodeName=$node,status.phase=Running" -o json 2>/dev/null) || return 1
  printf '%s' "$pods" | jq -e --argjson boot "$(date -d "$(uptime -s)" +%s)" "$PARENT_RUNNING" >/dev/null
}
# The kubelet restarts a pod it has with no API at all, so only a kubelet that lost the pod (a
# reboot, a deleted pod) needs the checkpoint. One beside a restarting apiserver takes half its
# loopback connections (SO_REUSEPORT): under TCG both then failed to start, for 20 minutes.
kubelet_has_parent() {
  pods=$(curl -sf --max-time 10 http://127.0.0.1:${KUBELET_READONLY_PORT}/pods) || return 1
  printf '%s' "$pods" | jq -e "$PARENT_KNOWN" >/dev/null
}
api_answers() {
  curl -ksf --max-time 10 https://127.0.0.1:6443/healthz >/dev/null
}
# An apiserver process found once is watched through /proc with the shell's own read: under TCG
# every round of the checks above cost a controller 2-10 s of CPU (jq alone 1.6 s, one kubectl
# 10 s), and kept about a sixth of a vCPU busy on each controller while all was well.
apiserver=
apiserver_alive() {
  [ -n "$apiserver" ] && { read -r comm < "/proc/$apiserver/comm"; } 2>/dev/null && [ "$comm" = kube-apiserver ]
}

# The cheap checks first, the API last. Three silent rounds in a row (half a minute) before
# activating: under emulation a busy apiserver can miss one answer without being gone.
down=0
while :; do
  if [ -f "$active" ]; then
    if parent_running; then
      rm -f "$active"; down=0
      echo "kube-apiserver DaemonSet pod Running on $node: checkpoint removed"
    fi
  elif [ -f "$saved" ] && ! apiserver_alive; then
    if kubelet_has_parent || api_answers || parent_running; then
      down=0
      apiserver=$(pidof -s kube-apiserver) || apiserver=
    else
      down=$((down + 1))
      if [ "$down" -ge 3 ]; then
        sed '${checkpointSed(node)}' "$saved" > "$saved.tmp" && mv "$saved.tmp" "$active"
        echo "no kube-apiserver answers on $node: checkpoint activated"
      fi
    fi
  fi
  sleep 10
done
`;

const CHECKPOINT_UNIT = `[Unit]
Description=Run the saved kube-apiserver as a static pod while its DaemonSet pod cannot run
After=kubelet.service

[Service]
ExecStart=${NODE_PATHS.bin}/kube-apiserver-checkpoint
Restart=always
RestartSec=10

[Install]
WantedBy=multi-user.target
`;

/** The image archives a node imports: a worker gets none of the controllers' own. */
export function nodeImages(node: Pick<NodeSpec, 'role'>, k: Pick<KubeNodeAssets, 'images' | 'version'>): KubeNodeAssets['images'] {
  if (node.role === 'controller') return k.images;
  const controllerOnly = new Set(CONTROLLER_ONLY_IMAGES.map((name) => imageRef(name, k.version)));
  return k.images.filter((image) => !controllerOnly.has(image.ref));
}

/**
 * The Kubernetes part of a node's Ignition config: binaries and image archives from the boot
 * server (verified by digest), containerd's configuration (the pod network add-on writes the CNI
 * config), the kubelet waiting for its kubeconfig, the watchdog for exits containerd failed to
 * record (cri-exit-watchdog.ts), and on controllers the apiserver checkpoint unit.
 */
export function renderKubeIgnition(node: NodeSpec, pki: LabPki, k: KubeNodeAssets, opts: { timeoutScale: number }): { files: IgnFile[]; units: IgnUnit[] } {
  const remote = (path: string, a: KubeAsset, mode: number) => remoteFile(path, `${k.baseUrl}/${a.name}`, a.sha512, mode);
  const files = [
    remote(`${NODE_PATHS.bin}/kubelet`, k.kubelet, 0o755),
    remote(`${NODE_PATHS.bin}/kubectl`, k.kubectl, 0o755),
    ...nodeImages(node, k).map((image) => remote(`${NODE_PATHS.images}/${image.name}`, image, 0o644)),
    file('/etc/containerd/config.toml', containerdConfig(k), 0o644),
    file(NODE_PATHS.caCert, pki.certs.ca!.certPem, 0o644),
    file('/etc/kubernetes/kubelet.yaml', kubeletConfig(opts.timeoutScale), 0o644),
  ];
  const units: IgnUnit[] = [
    { name: 'containerd.service', enabled: true },
    { name: 'metal-lab-images.service', enabled: true, contents: IMAGES_UNIT },
    { name: 'kubelet.service', contents: kubeletUnit(node, opts.timeoutScale) },
    { name: 'kubelet.path', enabled: true, contents: KUBELET_PATH },
  ];
  const criExitWatchdog = renderCriExitWatchdog();
  files.push(...criExitWatchdog.files);
  units.push(...criExitWatchdog.units);
  if (node.role === 'controller') {
    files.push(file(`${NODE_PATHS.bin}/kube-apiserver-checkpoint`, checkpointScript(node), 0o755));
    units.push({ name: 'kube-apiserver-checkpoint.service', enabled: true, contents: CHECKPOINT_UNIT });
  }
  return { files, units };
}
