import { DEFAULT_KUBE_VERSION, NODE_PATHS } from '../../ground/cluster.js';
import { controlPlane } from '../../ground/lab-model.js';
import type { LabPki } from '../../pki/ensure.js';
import type { LabSpec } from '../../ground/lab-spec.js';
import { APISERVER, APISERVER_SECRET_FILES, apiserverPod } from './apiserver.js';
import {
  componentDeployment,
  componentPdb,
  componentPod,
  componentRbac,
  CONTROLLER_MANAGER,
  CONTROLLER_MANAGER_SECRET_FILES,
  kubeconfigConfigMap,
  LOCAL_APISERVER,
  SCHEDULER,
  type TimingOptions,
} from './control-plane.js';
import { kubeProxyObjects } from './kube-proxy.js';
import { podNetworkObjects } from './pod-network.js';
import { clusterDnsObjects } from './cluster-dns.js';
import { embeddedKubeconfig, fileKubeconfig, serviceAccountKubeconfig } from './kubeconfig.js';
import { kubeMinor } from '../../ground/cluster.js';
import { manifestFiles, meta, secret, toYaml, type KubeObject } from './objects.js';
import { staticPod, staticPodName } from './pod.js';
import { pick, tlsFiles } from './tls.js';

export interface BootkubeOptions {
  /** Tags every image and picks version-specific flags (default DEFAULT_KUBE_VERSION). */
  kubeVersion?: string;
  /** The accelerator's timeout scale (1 under KVM, larger under TCG). */
  timeoutScale: number;
}

/**
 * bootkube's asset dir for a lab, as relative path -> file text. Pure: the same lab, PKI and
 * options give the same files.
 */
export function renderBootkubeAssets(lab: LabSpec, pki: LabPki, opts: BootkubeOptions): Map<string, string> {
  const t: TimingOptions = { kubeVersion: opts.kubeVersion ?? DEFAULT_KUBE_VERSION, timeoutScale: opts.timeoutScale };
  kubeMinor(t.kubeVersion); // refuse a malformed version before writing anything
  const assets = new Map<string, string>();
  const tls = tlsFiles(pki);
  const { apiName, apiServerUrl, frontDoorUrl } = controlPlane(lab);
  // Nodes name the API; the host reaches it through the front door, which checks the same name.
  const server = { url: apiServerUrl };
  const hostServer = { url: frontDoorUrl, tlsServerName: apiName };

  assets.set('auth/kubeconfig', embeddedKubeconfig(lab.id, hostServer, tls['ca.crt'], 'admin', tls['admin.crt'], tls['admin.key']));
  assets.set('auth/bootstrap-kubeconfig', fileKubeconfig(lab.id, LOCAL_APISERVER, NODE_PATHS.bootstrapSecrets, 'admin'));
  for (const node of lab.nodes) {
    const kubelet = pki.certs[`kubelet/${node.name}`];
    if (!kubelet) throw new Error(`the lab PKI has no kubelet certificate for ${node.name}`);
    assets.set(`auth/kubelet/${node.name}.kubeconfig`, embeddedKubeconfig(lab.id, server, tls['ca.crt'], 'kubelet', kubelet.certPem, kubelet.key.reveal()));
  }
  for (const [name, text] of Object.entries(tls)) assets.set(`tls/${name}`, text);

  const bootstrap = (file: string, pod: KubeObject) => assets.set(`bootstrap-manifests/${file}`, toYaml(pod));
  bootstrap('bootstrap-apiserver.yaml', staticPod(staticPodName(APISERVER, 'bootstrap'), apiserverPod(lab, t, 'bootstrap')));
  bootstrap('bootstrap-controller-manager.yaml', staticPod(staticPodName(CONTROLLER_MANAGER, 'bootstrap'), componentPod(CONTROLLER_MANAGER, 'bootstrap', t)));
  bootstrap('bootstrap-scheduler.yaml', staticPod(staticPodName(SCHEDULER, 'bootstrap'), componentPod(SCHEDULER, 'bootstrap', t)));

  const apiserverSecretFiles = pick(tls, APISERVER_SECRET_FILES);
  const apiserverTemplate = apiserverPod(lab, t, 'self-hosted');
  const objects: KubeObject[] = [
    secret(APISERVER, apiserverSecretFiles),
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta(APISERVER, { labels: { tier: 'control-plane', 'k8s-app': APISERVER } }),
      spec: { selector: { matchLabels: apiserverTemplate.metadata.labels }, template: apiserverTemplate },
    },
    ...componentRbac(),
    kubeconfigConfigMap(serviceAccountKubeconfig(lab.id, LOCAL_APISERVER)),
    secret(CONTROLLER_MANAGER, pick(tls, CONTROLLER_MANAGER_SECRET_FILES)),
    ...([CONTROLLER_MANAGER, SCHEDULER] as const).flatMap((c) => [componentDeployment(c, t), componentPdb(c, t)]),
    // kube-proxy reaches the API at its name: the Service IP would need kube-proxy itself.
    ...kubeProxyObjects(t.kubeVersion, serviceAccountKubeconfig(lab.id, server)),
    // The add-ons of the talk: the pod network reaches the API by its name too, DNS by the Service IP.
    ...podNetworkObjects(t.kubeVersion, serviceAccountKubeconfig(lab.id, server)),
    ...clusterDnsObjects(t.kubeVersion),
  ];
  for (const [file, text] of manifestFiles(objects, 'manifests')) assets.set(file, text);

  assets.set('checkpoints/kube-apiserver.yaml', toYaml(staticPod(staticPodName(APISERVER, 'checkpoint'), apiserverPod(lab, t, 'checkpoint'))));
  for (const [name, text] of Object.entries(apiserverSecretFiles)) assets.set(`checkpoints/secrets/${name}`, text);
  return assets;
}
