import { labObjectNames, type LabSpec } from '../ground/lab-spec.js';
import { LIST_DOMAINS } from './domain.js';
import { virshQueries } from './virsh.js';

/**
 * libvirt's view of a lab, as `status` shows it: every domain, the lab's network and its DHCP
 * leases, in one virsh process (status runs in loops). Its own small module so that status can
 * start virsh before it loads the rest of itself.
 */
export function queryLabView(lab: Pick<LabSpec, 'id' | 'nodes'>): Promise<string[]> {
  const { network } = labObjectNames(lab);
  return virshQueries([LIST_DOMAINS, ['net-info', network], ['net-dhcp-leases', network]]);
}
