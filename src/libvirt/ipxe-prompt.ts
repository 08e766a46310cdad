import { readFile } from 'node:fs/promises';
import { labNow } from '../toolkit/lab-clock.js';
import { pending, waitFor, WaitTimeoutError } from '../toolkit/wait-for.js';
import { virsh } from './virsh.js';

/** Debian's iPXE prints this, then waits 2 s (its build's BANNER_TIMEOUT) for Ctrl-B. */
const PROMPT = 'Press Ctrl-B for the iPXE command line';
/** Printed only after that prompt, or on a boot that never shows it: there is nothing to press. */
const PAST_IT = ['Configuring (net', 'GRUB', 'Linux version'];

/**
 * Presses Enter at iPXE's Ctrl-B prompt on a node that has just started, as a person at its
 * console would: any key but Ctrl-B ends the wait and iPXE boots at once. Enter is the key that is
 * harmless if it comes late: iPXE ignores it while it configures, and GRUB would boot its default.
 * Debian's ROMs have the wait compiled in; its source package is not on Debian's mirror here.
 * Never fails the lab: a prompt not pressed costs its 2 s, and a VM that died is found by the
 * waits that follow, with its console log.
 */
export async function passIpxePrompt(domain: string, consoleLog: string, opts: { signal?: AbortSignal; withinMs?: number } = {}): Promise<boolean> {
  let found: 'prompt' | 'past';
  try {
    found = await waitFor(`iPXE's prompt on ${domain}`, async () => {
      const log = await readFile(consoleLog, 'utf8').catch(() => '');
      if (log.includes(PROMPT)) return 'prompt';
      return PAST_IT.some((line) => log.includes(line)) ? 'past' : pending('firmware starting');
    }, { deadline: labNow() + (opts.withinMs ?? 60_000), intervalMs: 50, signal: opts.signal });
  } catch (err) {
    if (err instanceof WaitTimeoutError) return false;
    throw err;
  }
  if (found === 'past') return false;
  return (await virsh(['send-key', domain, 'KEY_ENTER'], { check: false })).exitCode === 0;
}
