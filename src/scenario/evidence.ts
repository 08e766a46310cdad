/** A failed wait or check: the message says what was expected, `evidence` where to look. */
export class EvidenceError extends Error {
  constructor(
    message: string,
    readonly evidence: string[],
  ) {
    super(message);
    this.name = 'EvidenceError';
  }
}

/**
 * Polls `probe` until it returns a value, or throws an EvidenceError naming what was awaited
 * and where to look. Every wait in the lab has a timeout.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  opts: { timeoutMs: number; intervalMs?: number; evidence: () => Promise<string[]> | string[]; signal?: AbortSignal },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    opts.signal?.throwIfAborted();
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) {
      throw new EvidenceError(`timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${what}`, await opts.evidence());
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}
