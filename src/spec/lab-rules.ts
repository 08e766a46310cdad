import type { DnsHost, LabSpec, NodeSpec } from '../ground/lab-spec.js';
import { APISERVER_PORT, DEFAULT_KUBE_VERSION } from '../ground/cluster.js';
import { labModel, MAX_NODES, NO_CONTROLLER } from '../ground/lab-model.js';
import { inRange, ipToInt, Subnet } from '../ground/ipv4.js';
import type { LabFile } from './lab-schema.js';
import { durationNs, HOUR_NS, windowPeriodHours } from './reboot-window.js';
import type { Fail } from './validate.js';
import type { FieldPath } from './yaml-source.js';

/**
 * Rules between fields that the schema cannot express, checked in file order, then the
 * normalised LabSpec: defaults filled, gateway computed, one DNS name per node added.
 */
export function buildLab(raw: LabFile, file: string, fail: Fail): LabSpec {
  const subnet: Subnet = raw.network.subnet;
  const gateway = subnet.gateway;
  const dhcpRange = raw.network.dhcpRange ?? subnet.defaultDhcpRange();
  const rangeText = `${dhcpRange.start}-${dhcpRange.end}`;

  if (raw.nodes.length > MAX_NODES) {
    fail(['nodes'], `${raw.nodes.length} nodes, and a lab has at most ${MAX_NODES}: each is a VM on this one host`, `use at most ${MAX_NODES} nodes`);
  }
  if (raw.network.dhcpRange) checkDhcpRange(raw.network.dhcpRange, subnet, fail);

  if (raw.bootServer.address !== undefined && raw.bootServer.address !== gateway) {
    fail(['bootServer', 'address'], `${raw.bootServer.address} is not the gateway ${gateway}`, `remove it (it defaults to the gateway) or set it to ${gateway}`);
  }

  const takenIps = new Set(raw.nodes.map((n) => n.ip));
  const firstFree = subnet.firstFreeHost(takenIps, dhcpRange);
  const pickIp = firstFree ? `, e.g. ${firstFree}` : '';

  const seen = { name: new Map<string, number>(), mac: new Map<string, number>(), ip: new Map<string, number>() };
  const nodes: NodeSpec[] = raw.nodes.map((n, i) => {
    for (const key of ['name', 'mac', 'ip'] as const) {
      const other = seen[key].get(n[key]);
      if (other !== undefined) {
        fail(['nodes', i, key], `${n[key]} is already used by nodes[${other}] (${raw.nodes[other]!.name})`, `give each node its own ${key}`);
      }
      seen[key].set(n[key], i);
    }
    const at: FieldPath = ['nodes', i, 'ip'];
    if (!subnet.contains(n.ip)) fail(at, `${n.ip} is outside network.subnet ${subnet.cidr}`, `use an address in ${subnet.cidr}${pickIp}`);
    if (n.ip === gateway) fail(at, `${n.ip} is the gateway (the host's bridge address)`, `use another address${pickIp}`);
    if (subnet.isNetworkOrBroadcast(n.ip)) fail(at, `${n.ip} is the subnet's network or broadcast address`, `use a host address${pickIp}`);
    if (inRange(n.ip, dhcpRange)) {
      fail(at, `${n.ip} is inside the DHCP range ${rangeText}, where dnsmasq leases addresses to anyone`, `use an address outside ${rangeText}${pickIp}, or move network.dhcpRange`);
    }
    return {
      name: n.name,
      role: n.role,
      mac: n.mac,
      ip: n.ip,
      memoryMiB: n.memory ?? raw.defaults.memory,
      vcpus: n.vcpus ?? raw.defaults.vcpus,
      diskGiB: n.disk ?? raw.defaults.disk,
      firmware: n.firmware ?? raw.defaults.firmware,
    };
  });

  const domain = raw.network.domain;
  const dns: DnsHost[] = Object.entries(raw.dns).map(([name, ip]) => ({ name, ip }));
  for (const node of nodes) {
    const name = `${node.name}.${domain}`;
    if (name in raw.dns) {
      fail(['dns', name], `${name} is defined automatically for node ${node.name}`, `remove it from dns`);
    }
    dns.push({ name, ip: node.ip });
  }
  const apiName = raw.kubernetes && (raw.kubernetes.apiName ?? `cluster.${domain}`);
  if (apiName) dns.push(...apiNameHosts(apiName, raw, nodes, fail));

  const lab: LabSpec = {
    id: raw.id,
    file,
    network: {
      bridge: raw.network.bridge,
      subnet: subnet.cidr,
      gateway,
      prefix: subnet.prefix,
      dhcpRange,
      nat: raw.network.nat,
      domain,
    },
    dns,
    bootServer: { address: gateway, port: raw.bootServer.port, ...(raw.bootServer.strict ? { strict: true as const } : {}) },
    accelerator: raw.accelerator,
    nodes,
    ...(apiName ? { kubernetes: { version: raw.kubernetes?.version ?? DEFAULT_KUBE_VERSION, apiName } } : {}),
    ...(raw.updates ? { updates: raw.updates } : {}),
  };
  if (lab.kubernetes) checkKubernetesNodes(raw, lab, fail);
  if (lab.kubernetes && lab.bootServer.port === APISERVER_PORT) {
    fail(['bootServer', 'port'], `${APISERVER_PORT} is where the lab's API front door listens on the bridge address`, 'use 8080 (the default) or another port');
  }
  if (lab.updates) checkUpdates(lab, fail);
  return lab;
}

/**
 * Without Kubernetes, nodes install updates and wait for a reboot by hand (Flatcar's
 * REBOOT_STRATEGY=off); the reboot window and the hooks are the update operator's, which runs
 * on the lab's Kubernetes. FLUO refuses a window as long as the day or week it repeats in.
 */
function checkUpdates(lab: LabSpec, fail: Fail): void {
  const u = lab.updates!;
  const operatorOnly = ([['rebootWindow', !!u.rebootWindow], ['beforeRebootAnnotations', u.beforeRebootAnnotations.length > 0], ['afterRebootAnnotations', u.afterRebootAnnotations.length > 0]] as const).find(([, set]) => set)?.[0];
  if (!lab.kubernetes && operatorOnly) {
    fail(['updates', operatorOnly], `${operatorOnly} tells the update operator when to reboot, and lab ${lab.id} has no kubernetes: block to run it on`, 'add kubernetes: {}, or remove it (nodes then install updates and wait for a reboot by hand)');
  }
  const window = lab.updates?.rebootWindow;
  if (!window) return;
  const period = windowPeriodHours(window.start);
  if (durationNs(window.length)! >= period * HOUR_NS) {
    const fix = period === 24 ? 'use less than 24h, or start it on a day ("Mon 14:00") to repeat weekly' : 'use less than 168h, e.g. 1h30m';
    fail(['updates', 'rebootWindow', 'length'], `${window.length} is not shorter than the ${period === 24 ? 'day' : 'week'} the window repeats in`, fix);
  }
}

/**
 * A Kubernetes lab installs labos to disk, whose BIOS boot loader OVMF would not boot (the node
 * would fall back to PXE and reinstall forever), and runs its control plane on the first controller.
 */
function checkKubernetesNodes(raw: LabFile, lab: LabSpec, fail: Fail): void {
  const { nodes } = lab;
  nodes.forEach((node, i) => {
    if (node.firmware !== 'uefi') return;
    const at: FieldPath = raw.nodes[i]!.firmware ? ['nodes', i, 'firmware'] : ['defaults', 'firmware'];
    fail(at, `${node.name} boots UEFI, and a Kubernetes lab installs labos to disk, which supports BIOS nodes only so far`, 'set firmware: bios (the default)');
  });
  if (labModel(lab).controllers.length === 0) fail(['nodes'], NO_CONTROLLER.problem, NO_CONTROLLER.fix);
}

/**
 * The API name resolves to every controller, as Typhoon's k8s_domain_name does with one DNS record
 * per controller: clients that lose one controller go on to the next.
 */
function apiNameHosts(apiName: string, raw: LabFile, nodes: NodeSpec[], fail: Fail): DnsHost[] {
  const at: FieldPath = raw.kubernetes?.apiName ? ['kubernetes', 'apiName'] : ['kubernetes'];
  if (apiName in raw.dns) {
    fail(['dns', apiName], `${apiName} is the API name, which resolves to every controller`, 'remove it from dns (kubernetes.apiName names it)');
  }
  const node = nodes.find((n) => `${n.name}.${raw.network.domain}` === apiName);
  if (node) fail(at, `${apiName} is node ${node.name}'s own name, and the API name resolves to every controller`, 'set kubernetes.apiName to a name of its own, e.g. cluster.<domain>');
  return nodes.filter((n) => n.role === 'controller').map((n) => ({ name: apiName, ip: n.ip }));
}

function checkDhcpRange(range: { start: string; end: string }, subnet: Subnet, fail: Fail): void {
  const hosts = `between ${subnet.gateway} (exclusive) and the broadcast address of ${subnet.cidr}`;
  for (const key of ['start', 'end'] as const) {
    const ip = range[key];
    const at: FieldPath = ['network', 'dhcpRange', key];
    if (!subnet.contains(ip)) fail(at, `${ip} is outside network.subnet ${subnet.cidr}`, `use an address ${hosts}`);
    if (ip === subnet.gateway || subnet.isNetworkOrBroadcast(ip)) {
      fail(at, `${ip} is the gateway, network or broadcast address`, `use an address ${hosts}`);
    }
  }
  if (ipToInt(range.start) > ipToInt(range.end)) {
    fail(['network', 'dhcpRange', 'end'], `${range.end} comes before start ${range.start}`, 'swap start and end');
  }
}
