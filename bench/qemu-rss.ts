import { readFileSync } from 'node:fs';
import { labObjectNames, type LabSpec } from '../src/ground/lab-spec.js';

/** A field of /proc/PID/status in KiB (VmRSS now, VmHWM the peak so far); 0 once the process is gone. */
export function procStatusKiB(pid: number | string, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** VmRSS of a libvirt domain's qemu, by the pid file libvirt keeps; 0 while it is not running. */
function qemuRssKiB(domain: string): number {
  try {
    return procStatusKiB(readFileSync(`/run/libvirt/qemu/${domain}.pid`, 'utf8').trim(), 'VmRSS');
  } catch {
    return 0;
  }
}

/** Samples every node's qemu RSS every 2 s until `stop`; `peak` holds the highest, in KiB. */
export function sampleQemuRss(lab: LabSpec): { peak: Map<string, number>; stop(): void } {
  const names = labObjectNames(lab);
  const peak = new Map(lab.nodes.map((n) => [n.name, 0]));
  const timer = setInterval(() => {
    for (const n of lab.nodes) peak.set(n.name, Math.max(peak.get(n.name)!, qemuRssKiB(names.domain(n.name))));
  }, 2000);
  return { peak, stop: () => clearInterval(timer) };
}

export const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;
