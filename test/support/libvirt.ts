import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { virsh } from '../../src/libvirt/virsh.js';
import { alive } from '../../src/ground/processes.js';
import { pending, waitFor } from '../../src/toolkit/wait-for.js';

/** Why libvirtd cannot be used here, or undefined when it can. `uri` is cheap: no QEMU probe. */
export async function libvirtUnavailable(): Promise<string | undefined> {
  const r = await virsh(['uri'], { check: false, timeoutMs: 30_000 }).catch((e: Error) => ({ exitCode: 1, stderr: e.message }));
  return r.exitCode === 0 ? undefined : `libvirtd is not reachable (${r.stderr.trim() || `exit ${r.exitCode}`}): run ./metal-lab setup`;
}

/**
 * ava's `test` for tests that need a reachable libvirtd, or `test.skip` with the reason printed
 * once per file. .ci/run starts libvirtd, so in CI these always run.
 */
export async function libvirtTest(file: string, opts: { serial?: boolean } = {}): Promise<typeof test.serial> {
  const reason = await libvirtUnavailable();
  const run = opts.serial ? test.serial : test;
  if (!reason) return run;
  console.log(`${file}: libvirt tests skipped: ${reason}`);
  return run.skip as unknown as typeof test.serial;
}

const TURN_LOCK = path.join(os.tmpdir(), 'metal-lab-e2e-heavy.lock');

/**
 * Runs `fn` while no other heavy lab test runs. Two multi-VM labs under TCG on 2 cores starve
 * each other's guests into soft lockups, so the e2e files that install several VMs take turns
 * (the light tests still run beside them). The lock is a dir holding the owner's pid; a dead
 * owner's lock is taken over.
 */
export async function takingTurns<T>(fn: () => Promise<T>): Promise<T> {
  // Longer than any heavy test's own timeout: those end a turn that never would.
  await waitFor('the other heavy lab test to finish', async () => {
    try {
      await fs.mkdir(TURN_LOCK);
      await fs.writeFile(path.join(TURN_LOCK, 'pid'), String(process.pid));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number(await fs.readFile(path.join(TURN_LOCK, 'pid'), 'utf8').catch(() => '0'));
      if (owner > 0 && alive(owner)) return pending(`pid ${owner} has the turn`);
      await fs.rm(TURN_LOCK, { recursive: true, force: true });
      return pending(`took the turn of dead pid ${owner}`);
    }
  }, { deadline: Date.now() + 2 * 3600_000, intervalMs: 2000, fatal: () => true });
  try {
    return await fn();
  } finally {
    await fs.rm(TURN_LOCK, { recursive: true, force: true });
  }
}
