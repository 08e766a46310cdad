/** The validated, typed form of a lab file. Everything downstream reads only this. */

export type Role = 'controller' | 'worker';
export type Firmware = 'bios' | 'uefi';
export type AccelChoice = 'auto' | 'kvm' | 'tcg';
export type Accel = 'kvm' | 'tcg';

export interface NodeSpec {
  name: string;
  role: Role;
  /** Lower-case, colon-separated, unicast. */
  mac: string;
  ip: string;
  memoryMiB: number;
  vcpus: number;
  diskGiB: number;
  firmware: Firmware;
}

export interface DnsHost {
  name: string;
  ip: string;
}

/** What the update operator (FLUO) does with nodes that installed an update. */
export interface UpdatesSpec {
  /** The release channel the nodes follow: Flatcar's GROUP, e.g. stable. */
  channel: string;
  /**
   * When the operator may pick nodes to reboot, as its --reboot-window-start/-length take it:
   * "[day] HH:MM" (UTC: the operator's image has no time zone) and a Go duration. Absent: any time.
   */
  rebootWindow?: { start: string; length: string };
  /** Node annotations that must all be "true" before a selected node may reboot (hooks set them). */
  beforeRebootAnnotations: string[];
  /** Node annotations that must all be "true" after its reboot before the next node's turn. */
  afterRebootAnnotations: string[];
}

/** A lab id: short enough to prefix libvirt object names and fit bridge-name limits. */
export const LAB_ID = /^[a-z][a-z0-9-]{0,15}$/;

export interface LabSpec {
  /** [a-z][a-z0-9-]{0,15}: prefixes every libvirt object, file and process of the lab. */
  id: string;
  /** Absolute path of the file the spec was loaded from. */
  file: string;
  network: {
    /** Linux bridge name, at most 15 characters. */
    bridge: string;
    /** IPv4 CIDR, e.g. 172.18.0.0/24. */
    subnet: string;
    /** The host's address on the bridge: the subnet's first host address. */
    gateway: string;
    prefix: number;
    dhcpRange: { start: string; end: string };
    /** Isolated (no <forward>) unless the lab asks for NAT. */
    nat: boolean;
    /** DNS domain of the nodes, e.g. example.com. */
    domain: string;
  };
  /** Extra DNS names plus one <node>.<domain> entry per node. */
  dns: DnsHost[];
  /** Where the embedded Matchbox server listens: the bridge address. */
  /** `strict`: /ignition and /metadata answer each node's own reserved address only. */
  bootServer: { address: string; port: number; strict?: true };
  accelerator: AccelChoice;
  nodes: NodeSpec[];
  /** Present when the lab runs Kubernetes on its installed nodes (bootkube-style self-hosted). */
  kubernetes?: {
    version: string;
    /** The control plane's one DNS name (Typhoon's k8s_domain_name): it resolves to every controller. */
    apiName: string;
  };
  /** Present when the update operator coordinates the nodes' reboots into new releases (needs kubernetes). */
  updates?: UpdatesSpec;
}

/** Names of everything the lab creates, all derived from the lab id. */
export function labObjectNames(lab: Pick<LabSpec, 'id' | 'nodes'>) {
  const prefix = `ml-${lab.id}`;
  return {
    prefix,
    network: prefix,
    pool: prefix,
    domain: (node: string) => `${prefix}-${node}`,
    volume: (node: string) => `${node}.qcow2`,
  };
}

/** XML namespace of the `<metadata>` element that tags a libvirt object with its lab. */
export const LAB_XMLNS = 'https://metal-lab.dev/xmlns/lab/1';
