/**
 * `work`'s outcome, or a rejection with the signal's reason as soon as it aborts: for steps made of
 * calls that do not take a signal (an exec into a pod). The work itself goes on unobserved; the
 * CLI exits once the run has cleaned up, which ends it.
 */
export function untilAborted<T>(work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    // Settles once; a rejection after the abort is handled here, not left unhandled.
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
