import { SpecError } from '../errors.js';
import { APISERVER_PORT } from './cluster.js';
import type { LabSpec, NodeSpec } from './lab-spec.js';

/**
 * What the nodes boot: the live image (the PXE layer), or the installer that puts labos on the
 * disk, after which each node boots from disk and Ignition configures it.
 */
export type BootMode = 'live' | 'install';

/**
 * Every node of a lab is a VM on this one host: more is a typo, not a lab (the talk's has 6).
 * Far below 256, so the nodes of any lab fit the pod range (the controller-manager gives each a /24 of a /16).
 */
export const MAX_NODES = 64;

/** The rule every Kubernetes render relies on, worded once for the loader and for render's guard. */
export const NO_CONTROLLER = {
  problem: 'no node has role: controller, and Kubernetes runs its control plane on the first one',
  fix: 'give at least one node role: controller',
};

/** Facts every room derives from a lab: addresses, roles, the pod network. */
export interface LabModel {
  /** The embedded Matchbox server, on the bridge address: what iPXE, the nodes and Ignition fetch from. */
  bootServerUrl: string;
  /** Where the boot server serves release channels (`<url>/releases/<channel>/`): its static assets. */
  releasesUrl: string;
  controllers: NodeSpec[];
  workers: NodeSpec[];
}

export function labModel(lab: Pick<LabSpec, 'bootServer' | 'nodes'>): LabModel {
  const bootServerUrl = `http://${lab.bootServer.address}:${lab.bootServer.port}`;
  return {
    bootServerUrl,
    releasesUrl: `${bootServerUrl}/assets`,
    controllers: lab.nodes.filter((n) => n.role === 'controller'),
    workers: lab.nodes.filter((n) => n.role === 'worker'),
  };
}

/**
 * The first controller runs the temporary control plane. Nodes reach the API at the API name,
 * which the lab's DNS resolves to every controller; the host reaches it through the API front
 * door on the bridge address, which resolves the same name. The loader refuses a Kubernetes lab
 * without a controller; a render of another lab is refused here, with the same words.
 */
export function controlPlane(lab: Pick<LabSpec, 'file' | 'nodes' | 'bootServer' | 'kubernetes' | 'network'>): {
  node: NodeSpec;
  apiName: string;
  apiServerUrl: string;
  frontDoorUrl: string;
} {
  const [node] = labModel(lab).controllers;
  if (!node) throw new SpecError(lab.file, 'nodes', NO_CONTROLLER.problem, NO_CONTROLLER.fix);
  const apiName = lab.kubernetes?.apiName ?? `cluster.${lab.network.domain}`;
  return { node, apiName, apiServerUrl: `https://${apiName}:${APISERVER_PORT}`, frontDoorUrl: `https://${lab.bootServer.address}:${APISERVER_PORT}` };
}

/**
 * Every controller runs an etcd member. An even count buys nothing: n members need n/2+1 for a
 * quorum, so they outlast no more lost members than n-1 would, and have one more that can fail.
 * Said as a warning (two controllers are a fine lab to watch a quorum lost), never refused.
 */
export function etcdMembersWarning(lab: Pick<LabSpec, 'id' | 'bootServer' | 'nodes'>): string | undefined {
  const n = labModel(lab).controllers.length;
  if (n < 2 || n % 2 === 1) return undefined;
  const lost = n / 2 - 1;
  return `lab ${lab.id}: ${n} controllers make ${n} etcd members, which need ${n / 2 + 1} for a quorum and so outlast ${lost} lost member${lost === 1 ? '' : 's'}, as ${n - 1} would; use ${n - 1} or ${n + 1} controllers`;
}
