import { readdirSync, readFileSync } from 'node:fs';
import type { LabLayout } from './host-layout.js';
import { waitFor, WaitTimeoutError } from '../toolkit/wait-for.js';
import { labNow } from '../toolkit/lab-clock.js';

/**
 * Pids of live processes whose command line mentions `needle` (a lab's own state path). Read
 * synchronously: a few hundred tiny /proc files one by one through the thread pool took tens of
 * milliseconds of every `status`.
 */
export async function processesMentioning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // gone since the listing
    }
    if (cmdline.split('\0').some((arg) => arg.includes(needle))) pids.push(Number(entry));
  }
  return pids;
}

/** Pids of a lab's boot server: it runs detached and names the lab's Matchbox data dir on its command line. */
export function bootServerPids(paths: Pick<LabLayout, 'matchboxData'>): Promise<number[]> {
  return processesMentioning(paths.matchboxData);
}

/** The pid a pid file names, or undefined when it is missing or holds none. */
export function pidFromFile(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether a process exists (EPERM: it does, owned by someone else). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM, then SIGKILL whatever is still there after `graceMs`. */
export async function terminate(pids: number[], graceMs = 3000): Promise<void> {
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGTERM');
  await waitFor('the processes to exit', async () => !pids.some(alive) || undefined, { deadline: labNow() + graceMs, intervalMs: 50 }).catch((err: unknown) => {
    // Out of grace: what is left gets SIGKILL.
    if (!(err instanceof WaitTimeoutError)) throw err;
  });
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
}
