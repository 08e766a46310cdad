import { labObjectNames, type LabSpec } from '../ground/lab-spec.js';
import { hostLayout, type HostLayout } from '../ground/host-layout.js';
import { bootServerPids } from '../ground/processes.js';
import { listDomains } from '../libvirt/domain.js';
import { dhcpLeases, networkInfo } from '../libvirt/network.js';
import { nodeRequests, readRequestLog } from '../matchbox/request-log.js';
import { bootStage, type BootStage } from './node-progress.js';

export interface NodeStatus {
  node: string;
  role: string;
  state: string;
  mac: string;
  ip: string;
  lease?: string;
  lastRequest?: { path: string; status: number; time: string };
  stage: BootStage;
}

export interface LabStatus {
  lab: string;
  network: 'active' | 'inactive' | 'absent';
  bootServer: 'running' | 'stopped';
  nodes: NodeStatus[];
}

/** One look at the lab: libvirt's view of the VMs and leases, and the boot server's request log. */
export async function labStatus(lab: LabSpec, host: HostLayout = hostLayout()): Promise<LabStatus> {
  const names = labObjectNames(lab);
  const paths = host.lab(lab.id);
  const [domains, net, pids, requests] = await Promise.all([
    listDomains(),
    networkInfo(names.network),
    bootServerPids(paths),
    readRequestLog(paths.requestLog).catch(() => []),
  ]);
  const leases = net?.active ? await dhcpLeases(names.network) : [];
  return {
    lab: lab.id,
    network: net ? (net.active ? 'active' : 'inactive') : 'absent',
    bootServer: pids.length > 0 ? 'running' : 'stopped',
    nodes: lab.nodes.map((node) => {
      const mine = nodeRequests(requests, node);
      const last = mine.at(-1);
      return {
        node: node.name,
        role: node.role,
        state: domains.find((d) => d.name === names.domain(node.name))?.state ?? 'absent',
        mac: node.mac,
        ip: node.ip,
        lease: leases.find((l) => l.mac === node.mac)?.ip,
        lastRequest: last && { path: last.path, status: last.status, time: last.time },
        stage: bootStage(mine),
      };
    }),
  };
}
