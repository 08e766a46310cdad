import { LabError } from '../errors.js';
import type { CliContext } from './context.js';

/**
 * Ctrl-C aborts the running operation, which then puts back or removes what it touched; a second
 * Ctrl-C leaves at once (`down` still cleans up later). Taken once the input is checked: before,
 * there is nothing to clean up.
 */
export function interruptible({ stderr, say }: Pick<CliContext, 'stderr' | 'say'>): AbortSignal {
  const ctl = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (ctl.signal.aborted) process.exit(130);
    stderr.write('\n');
    say(`${sig}: stopping and cleaning up (again to quit now)`);
    ctl.abort(new LabError(`interrupted by ${sig}`, 'run `metal-lab down` if anything is left', 130));
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  return ctl.signal;
}
