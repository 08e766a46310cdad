import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/**
 * A long-running helper (a daemon, a monitor) that the kernel stops when this test process
 * dies (setpriv --pdeathsig), so a test that times out or crashes leaves none behind.
 */
export function spawnTied(command: string, args: readonly string[], opts: SpawnOptions): ChildProcess {
  return spawn('setpriv', ['--pdeathsig', 'SIGTERM', '--', command, ...args], opts);
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone (at once if it already is). */
export async function stopProcess(p: ChildProcess, graceMs = 10_000): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((resolve) => p.once('exit', resolve));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
