import { LabError } from '../errors.js';
import { virsh, virshInteractive, virshUnless } from './virsh.js';
import { tableRows } from './table.js';
import { labIdFromXml } from './metadata.js';

export type DomainState = 'running' | 'shut off' | 'paused' | 'crashed' | 'other';

/** Where the system libvirtd keeps a running domain's QEMU pid. */
export const domainPidFile = (name: string): string => `/run/libvirt/qemu/${name}.pid`;

export interface DomainEntry {
  name: string;
  state: DomainState;
}

export async function listDomains(): Promise<DomainEntry[]> {
  return parseDomainList((await virsh(LIST_DOMAINS)).stdout);
}

export const LIST_DOMAINS = ['list', '--all'];

/** Rows of `virsh list --all`: id, name, state (which may be two words). */
export function parseDomainList(stdout: string): DomainEntry[] {
  return tableRows(stdout).map(([, name, ...state]) => {
    const s = state.join(' ');
    return { name: name!, state: (['running', 'shut off', 'paused', 'crashed'].includes(s) ? s : 'other') as DomainState };
  });
}

/**
 * The lab id a domain was tagged with at define time, or undefined if it is not a lab's. A
 * failing virsh throws: a slow libvirtd must not make a lab's VM look like someone else's.
 */
export async function domainLabId(name: string): Promise<string | undefined> {
  return labIdFromXml((await virsh(['dumpxml', '--inactive', name])).stdout);
}

/** Defines the domain unless it exists; whether it did. */
export async function defineDomain(name: string, xmlFile: string): Promise<boolean> {
  if ((await virsh(['domstate', name], { check: false })).exitCode === 0) return false;
  await virsh(['define', xmlFile]);
  return true;
}

/** Hard power-off before removal, whatever state the domain is in. */
async function destroyDomain(name: string): Promise<void> {
  await virsh(['destroy', name], { check: false });
}

/**
 * Pulls the plug on a domain, as a fault (virsh destroy). One that is not there, or already off,
 * has no plug to pull: the fault did not happen, and saying it did would fake what follows.
 */
export async function pullPlug(name: string): Promise<void> {
  const domain = (await listDomains()).find((d) => d.name === name);
  if (!domain) throw new LabError(`there is no VM ${name} to power off`, 'bring the lab up before this step (an up step)');
  if (domain.state === 'shut off') throw new LabError(`${name} is shut off already: there is nothing to power off`, 'power it on before (a poweron step), or remove this poweroff');
  await virsh(['destroy', name]);
}

export async function removeDomain(name: string): Promise<void> {
  await destroyDomain(name);
  // --nvram drops a UEFI node's variable store; libvirt ignores it for BIOS nodes.
  await virsh(['undefine', name, '--nvram']);
}

/** Hands the terminal to `virsh console`; resolves with its exit code. */
export function attachConsole(name: string): Promise<number> {
  return virshInteractive(['console', name]);
}

/** Powers a defined domain on (after a fault, say) unless it runs; whether it did. */
export function startDomain(name: string): Promise<boolean> {
  return virshUnless(['start', name], async () => (await virsh(['domstate', name])).stdout.trim() === 'running');
}
