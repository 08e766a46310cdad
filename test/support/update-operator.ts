import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pending, waitFor } from '../../src/toolkit/wait-for.js';
import { exited, launchScoped, stopProcess, tail, type Teardown } from './child-processes.js';
import { root, program, type Need } from './needs.js';

/**
 * FLUO's real update-operator as a test's child process. The operator names its leader-election
 * lock after its hostname, so each runs in a UTS namespace of its own with the name it is given
 * (two on one host would otherwise both think they lead). Started with -v=4, its log marks every
 * pass of its 30 s loop, which is what tests wait on.
 */

/** Running each operator under its own hostname: unshare --uts, as root. */
export const OPERATOR_NEEDS: Need[] = [root, program('unshare', 'util-linux')];

/** FLUO's annotation and label keys (update-operator.md §1.1). */
export { FLUO_KEYS } from '../../src/guard/keys.js';

/** The lock the operators elect their leader by (a ConfigMap and a Lease of this name). */
export const OPERATOR_LOCK = 'flatcar-linux-update-operator-lock';

// The first line of a pass (V(4)), and its last: the reboot selection, or the window keeping it shut.
const PASS_START = 'Going through a loop cycle';
const PASS_END = /Found \d+ nodes that need a reboot|We are outside the reboot window/;

export interface OperatorOptions {
  bin: string;
  kubeconfig: string;
  /** POD_NAMESPACE: where its lock lives. */
  namespace: string;
  /** Its hostname: the lock identity. */
  identity: string;
  logDir: string;
  args?: string[];
}

export interface OperatorRun {
  identity: string;
  logFile: string;
  log(): string;
  /** Pass starts and ends logged so far: a mark for passAfter. */
  mark(): number;
  /** Waits until a pass that started after `mark` has finished; resolves with its log lines. */
  passAfter(mark: number, timeoutMs?: number): Promise<string>;
  /** The first line matching `pattern` in a pass that started after `mark`, if one is logged yet. */
  lineSince(mark: number, pattern: RegExp): string | undefined;
  /** SIGKILL, as a crash: the lease is never given up. */
  kill(): Promise<void>;
}

export type { Teardown };

/** One period of the operator's loop (defaultReconciliationPeriod), hard-coded upstream. */
export const PASS_MS = 30_000;

export function startOperator(o: OperatorOptions, scope: Teardown): OperatorRun {
  const logFile = path.join(o.logDir, `update-operator-${o.identity}.log`);
  const args = ['--uts', 'sh', '-c', 'hostname "$0" && exec "$@"', o.identity, o.bin, `--kubeconfig=${o.kubeconfig}`, '-v=4', ...(o.args ?? [])];
  // TZ: reboot windows are read in UTC, as the tests compute them.
  const proc = launchScoped('unshare', args, logFile, { PATH: process.env.PATH, POD_NAMESPACE: o.namespace, TZ: 'UTC' }, scope);

  const log = () => readFileSync(logFile, 'utf8');
  /** Pass starts and ends, with the index of their line. */
  const events = (lines: string[]) => lines.flatMap((l, i) => (l.includes(PASS_START) ? [{ start: true, i }] : PASS_END.test(l) ? [{ start: false, i }] : []));
  return {
    identity: o.identity,
    logFile,
    log,
    mark: () => events(log().split('\n')).length,
    passAfter: (mark, timeoutMs = 2 * PASS_MS + 15_000) =>
      waitFor(
        `a whole loop pass of update-operator ${o.identity}`,
        async () => {
          if (exited(proc)) throw new Error(`update-operator ${o.identity} exited (${proc.exitCode ?? proc.signalCode}):\n${tail(logFile)}`);
          const lines = log().split('\n');
          const later = events(lines).slice(mark);
          const start = later.find((e) => e.start);
          const end = start && later.find((e) => !e.start && e.i > start.i);
          if (!start || !end) return pending(start ? 'a pass is running' : 'no pass started yet');
          return lines.slice(start.i, end.i + 1).join('\n');
        },
        { deadline: Date.now() + timeoutMs, intervalMs: 500, fatal: () => true, evidence: () => [logFile, tail(logFile)] },
      ),
    lineSince: (mark, pattern) => {
      const lines = log().split('\n');
      const start = events(lines).slice(mark).find((e) => e.start);
      return start && lines.slice(start.i).find((l) => pattern.test(l));
    },
    kill: async () => {
      proc.kill('SIGKILL');
      await stopProcess(proc);
    },
  };
}
