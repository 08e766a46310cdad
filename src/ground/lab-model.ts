import { SpecError } from '../errors.js';
import { APISERVER_PORT, POD_CIDR } from './cluster.js';
import { intToIp, ipToInt } from './ipv4.js';
import type { LabSpec, NodeSpec } from './lab-spec.js';

/**
 * What the nodes boot: the live image (the PXE layer), or the installer that puts labos on the
 * disk, after which each node boots from disk and Ignition configures it.
 */
export type BootMode = 'live' | 'install';

/** A Kubernetes lab gives each node a /24 of POD_CIDR (a /16): at most this many nodes. */
export const MAX_KUBE_NODES = 256;

/**
 * Every node of a lab is a VM on this one host: more is a typo, not a lab (the talk's has 6).
 * Below MAX_KUBE_NODES, so the nodes of any lab fit the pod range.
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
  /** The node's /24 of POD_CIDR: node i of the lab (0-based) gets 10.2.i.0/24. */
  podCidr(node: Pick<NodeSpec, 'name'>): string;
}

export function labModel(lab: Pick<LabSpec, 'bootServer' | 'nodes'>): LabModel {
  const bootServerUrl = `http://${lab.bootServer.address}:${lab.bootServer.port}`;
  return {
    bootServerUrl,
    releasesUrl: `${bootServerUrl}/assets`,
    controllers: lab.nodes.filter((n) => n.role === 'controller'),
    workers: lab.nodes.filter((n) => n.role === 'worker'),
    podCidr: (node) => {
      const index = lab.nodes.findIndex((n) => n.name === node.name);
      if (index < 0) throw new Error(`node ${node.name} is not in the lab`);
      if (index >= MAX_KUBE_NODES) throw new Error(`a lab has at most ${MAX_KUBE_NODES} nodes (one /24 of the pod range each)`);
      const [base = ''] = POD_CIDR.split('/');
      return `${intToIp(ipToInt(base) + index * 256)}/24`;
    },
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
