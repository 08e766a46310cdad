import { HostError, SpecError } from '../errors.js';
import type { HostLayout } from '../ground/host-layout.js';
import { labObjectNames, type LabSpec } from '../ground/lab-spec.js';
import { bootServerPids } from '../ground/processes.js';
import { probeAccel, type AccelHost, type AccelProbe } from '../libvirt/accel.js';
import { networkInfo } from '../libvirt/network.js';
import { definedNetworks } from '../libvirt/network-claims.js';
import { displayPath } from '../spec/spec-file.js';
import { checkLibvirtd, checkVirtlogd } from './daemons.js';
import { availableMemoryMiB, checkMemoryFits } from './memory.js';
import { TCG_GUEST_OVERHEAD_MIB } from '../render/libvirt-domain.js';
import { checkBridgeUnclaimed, checkInterfaceFree, checkSubnetFree, checkSubnetUnclaimed } from './network.js';
import { checkPortFree } from './ports.js';
import { checkIpxe, checkQemu } from './tools.js';

export interface PreflightOptions {
  /** The lab's own bridge exists from an earlier `up`: its name, subnet and the nodes' memory are ours already. */
  ownBridge: boolean;
  /** The lab's own boot server runs: the port is ours already. */
  ownServer: boolean;
}

/** What of the host an earlier `up` of this lab holds already. */
export async function labHolds(lab: LabSpec, host: HostLayout): Promise<PreflightOptions> {
  return {
    ownBridge: (await networkInfo(labObjectNames(lab).network))?.bridge === lab.network.bridge,
    ownServer: (await bootServerPids(host.lab(lab.id))).length > 0,
  };
}

/** Runs a host check for what a lab field asks: the host's answer becomes that field's problem, naming the lab file. */
async function forField<T>(lab: LabSpec, field: string, check: () => T | Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (err) {
    if (err instanceof HostError) throw new SpecError(displayPath(lab.file), field, err.message, err.fix);
    throw err;
  }
}

/** The accelerator a lab's `accelerator:` gets on this host; `kvm` where KVM is unusable is that field's problem. */
export function labAccel(lab: LabSpec, accelHost?: AccelHost): Promise<AccelProbe> {
  return forField(lab, 'accelerator', () => probeAccel(lab.accelerator, accelHost));
}

/**
 * Checks the host before anything is created, and is meant to run before any progress line: the
 * first problem throws, a HostError for the host itself (libvirtd down, qemu missing), a
 * SpecError naming the lab file and field for what the lab asks of it. Returns the accelerator.
 */
export async function preflightLab(lab: LabSpec, host: HostLayout, holds?: PreflightOptions): Promise<AccelProbe> {
  const probe = await labAccel(lab);
  await checkLibvirtd();
  await checkVirtlogd();
  await checkQemu();
  await checkIpxe();
  const { ownBridge, ownServer } = holds ?? (await labHolds(lab, host));
  const { bridge, subnet } = lab.network;
  if (!ownBridge) {
    const networks = (await definedNetworks()).filter((n) => n.name !== labObjectNames(lab).network);
    await forField(lab, 'network.bridge', async () => {
      await checkInterfaceFree(bridge);
      checkBridgeUnclaimed(bridge, networks);
    });
    await forField(lab, 'network.subnet', async () => {
      checkSubnetUnclaimed(subnet, networks);
      await checkSubnetFree(subnet);
    });
    // Under TCG each QEMU also keeps its translation cache.
    await forField(lab, 'nodes', async () => checkMemoryFits(lab.nodes, await availableMemoryMiB(), probe.accel === 'tcg' ? TCG_GUEST_OVERHEAD_MIB : 0));
  }
  if (!ownServer) await forField(lab, 'bootServer.port', () => checkPortFree(lab.bootServer.port, lab.bootServer.address));
  return probe;
}
