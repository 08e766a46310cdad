import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pending, waitFor } from '../../src/toolkit/wait-for.js';
import { exited, launchScoped, stopProcess, tail, type Teardown } from './child-processes.js';

/** The rollout guard's CLI (src/guard/main.ts) as a test's child process, run by tsx as in development. */

const MAIN = fileURLToPath(new URL('../../src/guard/main.ts', import.meta.url));

export interface GuardProcess {
  logFile: string;
  /** SIGKILL, as a crash or an evicted pod: nothing is written on the way out. */
  kill(): Promise<void>;
}

/** Starts the guard; resolves once it runs (its first line, just before its first pass). */
export async function startGuard(args: string[], logFile: string, scope: Teardown): Promise<GuardProcess> {
  // A restarted guard writes on in the same log.
  const before = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0;
  const proc = launchScoped(process.execPath, ['--import', 'tsx', MAIN, ...args], logFile, undefined, scope);
  await waitFor(
    'the rollout guard to start',
    async () => {
      if (exited(proc)) throw new Error(`the rollout guard exited (${proc.exitCode ?? proc.signalCode}):\n${tail(logFile)}`);
      return readFileSync(logFile, 'utf8').slice(before).includes('rollout-guard: passes every') || pending('no first line yet');
    },
    { deadline: Date.now() + 60_000, intervalMs: 200, fatal: () => true, evidence: () => [logFile, tail(logFile)] },
  );
  return {
    logFile,
    kill: async () => {
      proc.kill('SIGKILL');
      await stopProcess(proc);
    },
  };
}
