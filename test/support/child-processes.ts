import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';

/** Servers a test starts (etcd, kube-apiserver, update-operator), each writing into its own log file. */

export function launch(cmd: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): ChildProcess {
  const fd = openSync(logFile, 'a');
  return spawn(cmd, args, { stdio: ['ignore', fd, fd], env });
}

/** The last lines of a log, for an error message. */
export const tail = (file: string, lines = 15) => {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
};

/**
 * Kills `pids` (and removes `dir`, if given) when this process dies without stopping them, even by
 * SIGKILL (an ava timeout): it waits for EOF on the pipe only this process holds open. Kill it
 * once they are stopped.
 */
export function guard(pids: number[], dir?: string): ChildProcess {
  const script = 'cat >/dev/null; kill -TERM "$@" 2>/dev/null; sleep 3; kill -KILL "$@" 2>/dev/null; [ -z "$DIR" ] || rm -rf -- "$DIR"';
  const g = spawn('bash', ['-c', script, 'test-guard', ...pids.map(String)], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
    env: { ...process.env, DIR: dir ?? '' },
  });
  g.unref();
  (g.stdin as unknown as { unref?: () => void })?.unref?.();
  return g;
}

/** Where a server's process is stopped: a test (t) or a file-wide list run by test.after.always. */
export interface Teardown {
  teardown(fn: () => Promise<void>): void;
}

/**
 * A server a test or a test file runs (launch()), stopped by `scope` and killed when this process
 * exits or dies without stopping it.
 */
export function launchScoped(cmd: string, args: string[], logFile: string, env: NodeJS.ProcessEnv | undefined, scope: Teardown): ChildProcess {
  const proc = launch(cmd, args, logFile, env);
  const watchdog = guard([proc.pid!]);
  const onExit = () => proc.kill('SIGKILL');
  process.once('exit', onExit);
  scope.teardown(async () => {
    process.off('exit', onExit);
    await stopProcess(proc, 3000);
    watchdog.kill('SIGKILL');
  });
  return proc;
}

/**
 * A long-running helper (a daemon, a monitor) that the kernel stops when this test process
 * dies (setpriv --pdeathsig), so a test that times out or crashes leaves none behind.
 */
export function spawnTied(command: string, args: readonly string[], opts: SpawnOptions): ChildProcess {
  return spawn('setpriv', ['--pdeathsig', 'SIGTERM', '--', command, ...args], opts);
}

export const exited = (p: ChildProcess) => p.exitCode !== null || p.signalCode !== null;

/** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
export async function stopProcess(p: ChildProcess, graceMs = 10_000): Promise<void> {
  if (exited(p)) return;
  const gone = new Promise((resolve) => p.once('exit', resolve));
  p.kill('SIGTERM');
  const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}
