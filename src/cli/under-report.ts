import type { RunReport } from '../report/run-report.js';

/**
 * Runs a command's work under its progress report: the summary is printed either way, and an
 * error no step reported (Ctrl-C between two steps) fails the run, so it cannot say passed.
 */
export async function underReport<T>(report: RunReport, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  try {
    const result = await work();
    await report.finish();
    return result;
  } catch (err) {
    const reason: unknown = signal?.aborted ? signal.reason : err;
    report.failRun(reason);
    await report.finish().catch(() => {});
    throw reason;
  }
}
