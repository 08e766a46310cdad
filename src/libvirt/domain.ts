import { virsh, virshInteractive } from './virsh.js';
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
  const r = await virsh(['list', '--all']);
  return tableRows(r.stdout).map(([, name, ...state]) => {
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

/** Defines the domain unless it exists, and starts it unless it runs. */
export async function ensureDomain(name: string, xmlFile: string): Promise<'created' | 'started' | 'unchanged'> {
  const r = await virsh(['domstate', name], { check: false });
  const exists = r.exitCode === 0;
  if (!exists) await virsh(['define', xmlFile]);
  const running = exists && r.stdout.trim() === 'running';
  if (!running) await virsh(['start', name]);
  return !exists ? 'created' : running ? 'unchanged' : 'started';
}

/** Hard power-off (pulls the plug), as a fault or before removal. */
export async function destroyDomain(name: string): Promise<void> {
  await virsh(['destroy', name], { check: false });
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

/** Powers a defined domain on (after a fault, say); a no-op if it runs. */
export async function startDomain(name: string): Promise<void> {
  const r = await virsh(['domstate', name]);
  if (r.stdout.trim() !== 'running') await virsh(['start', name]);
}
