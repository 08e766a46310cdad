import { labObjectNames, type LabSpec } from '../ground/lab-spec.js';
import { hostLayout, type HostLayout } from '../ground/host-layout.js';
import { bootServerPids } from '../ground/processes.js';
import { parseDomainList } from '../libvirt/domain.js';
import { queryLabView } from '../libvirt/lab-view.js';
import { parseLeases, parseNetworkInfo } from '../libvirt/network.js';
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

/**
 * One look at the lab: libvirt's view of the VMs and leases (`libvirt`: queryLabView's answer,
 * which a caller may have started already), and the boot server's request log.
 */
export async function labStatus(lab: LabSpec, host: HostLayout = hostLayout(), libvirt: Promise<string[]> = queryLabView(lab)): Promise<LabStatus> {
  const names = labObjectNames(lab);
  const paths = host.lab(lab.id);
  const [[list = '', info = '', leaseTable = ''], pids, requests] = await Promise.all([
    libvirt,
    bootServerPids(paths),
    readRequestLog(paths.requestLog).catch(() => []),
  ]);
  const domains = parseDomainList(list);
  const net = parseNetworkInfo(names.network, info);
  const leases = net?.active ? parseLeases(leaseTable) : [];
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
