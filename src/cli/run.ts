import type { CliStreams } from './context.js';
import { plainStatusArgs, runStatus } from './status.js';

/**
 * Runs `metal-lab ARGS...` and returns its exit code. A plain `status` runs on its own; every
 * other command line goes through commander (program.ts), loaded only then.
 */
export async function runMetalLab(args: string[], streams: CliStreams): Promise<number> {
  const status = plainStatusArgs(args);
  if (status) return runStatus(status, streams);
  const { runCli } = await import('./program.js');
  return runCli(args, streams);
}
