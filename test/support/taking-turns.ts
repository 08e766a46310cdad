import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { alive } from '../../src/ground/processes.js';
import { pending, waitFor } from '../../src/toolkit/wait-for.js';

const TURN_LOCK = path.join(os.tmpdir(), 'metal-lab-e2e-heavy.lock');

/**
 * Runs `fn` while no other heavy lab test runs on this machine. Two multi-VM labs under TCG on
 * 2 cores starve each other's guests into soft lockups. Within one `npm test` the e2e tier runs
 * one file at a time, so this never waits there; it still keeps two test processes (a CI run and
 * someone's `npm run test:e2e -- test/e2e/bootstrap.test.ts`, say) from installing their
 * multi-VM labs at once. The lock is a dir holding the owner's pid; a dead owner's lock is taken
 * over.
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
