import type { LabSpec } from '../ground/lab-spec.js';
import { checkLibvirtd, checkVirtlogd } from './daemons.js';
import { checkInterfaceFree, checkSubnetFree } from './network.js';
import { checkPortFree } from './ports.js';
import { checkIpxe, checkQemu } from './tools.js';

export interface PreflightOptions {
  /** The lab's own bridge exists from an earlier `up`: its name and subnet are ours already. */
  ownBridge: boolean;
  /** The lab's own boot server runs: the port is ours already. */
  ownServer: boolean;
}

/** Checks the host before anything is created; the first problem throws a HostError. */
export async function preflightLab(lab: LabSpec, opts: PreflightOptions): Promise<void> {
  await checkLibvirtd();
  await checkVirtlogd();
  await checkQemu();
  await checkIpxe();
  if (!opts.ownBridge) {
    await checkInterfaceFree(lab.network.bridge);
    await checkSubnetFree(lab.network.subnet);
  }
  if (!opts.ownServer) await checkPortFree(lab.bootServer.port, lab.bootServer.address);
}
