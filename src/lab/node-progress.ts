import type { RequestLogEntry } from '../matchbox/types.js';

export type BootStage = 'none' | 'pxe' | 'ipxe' | 'kernel' | 'userspace' | 'installed-to-disk' | 'installed';

/** How far a node got in the boot chain, read off its requests to the boot server. */
export function bootStage(requests: RequestLogEntry[]): BootStage {
  let stage: BootStage = 'none';
  const rank: BootStage[] = ['none', 'pxe', 'ipxe', 'kernel', 'userspace', 'installed-to-disk', 'installed'];
  const raise = (s: BootStage) => {
    if (rank.indexOf(s) > rank.indexOf(stage)) stage = s;
  };
  for (const e of requests) {
    if (e.path === '/boot.ipxe' || e.path === '/boot.ipxe.0') raise('pxe');
    else if (e.path === '/ipxe' && e.status === 200) raise('ipxe');
    else if (e.path.startsWith('/assets/') && e.status === 200) raise('kernel');
    else if (e.path === '/lab/event' && rank.includes(e.labels?.stage as BootStage)) raise(e.labels!.stage as BootStage);
  }
  return stage;
}
