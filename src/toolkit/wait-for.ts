import { setTimeout as sleep } from 'node:timers/promises';
import { LabError } from '../errors.js';
import { labNow } from './lab-clock.js';

/** A probe's "not yet", with what it saw: the last one seen is in the timeout error. */
export class Pending {
  constructor(readonly state: string) {}
}

export const pending = (state: string): Pending => new Pending(state);

/** A probe that was not done, reported before the pause until the next one. */
export interface Retry {
  /** 1 for the first probe. */
  attempt: number;
  state: string;
  /** Whether the state differs from the previous probe's (for logs that only want changes). */
  changed: boolean;
  nextInMs: number;
}

export interface WaitOptions {
  /**
   * When to give up, as an absolute time on the lab's clock (labNow() milliseconds): waits that
   * share a deadline share one limit, whatever each of them takes.
   */
  deadline: number;
  /** Pause between probes: fixed, or by attempt (backoff). Default 1 s. */
  intervalMs?: number | ((attempt: number) => number);
  /** Where to look when the wait fails: a console log, the last request... */
  evidence?: readonly string[] | (() => readonly string[] | Promise<readonly string[]>);
  /** Aborting ends the wait at once with the signal's reason. */
  signal?: AbortSignal;
  onRetry?: (r: Retry) => void;
  /**
   * A probe that throws has not succeeded yet (what is awaited may not answer yet), and the error
   * becomes the state; unless this says waiting cannot fix it, then it is thrown at once.
   */
  fatal?: (err: unknown) => boolean;
  /** How a thrown error reads as a state. Default: its message. */
  describeError?: (err: unknown) => string;
  fix?: string;
}

/** A wait that ran out of time: what it waited for, for how long, the last state and the evidence. */
export class WaitTimeoutError extends LabError {
  constructor(
    readonly what: string,
    readonly waitedMs: number,
    readonly lastState: string | undefined,
    readonly attempts: number,
    readonly evidence: readonly string[],
    fix: string,
  ) {
    super(`timed out after ${Math.round(waitedMs / 1000)}s waiting for ${what}${lastState === undefined ? '' : `; last seen: ${lastState}`}`, fix);
  }
}

const DEFAULT_FIX = 'look at the evidence for why it did not happen, or allow it more time';

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Probes until `probe` returns a value (anything but undefined or a Pending). It probes at least
 * once, even past the deadline. The timeout error says what it waited for, how long, the last
 * state a probe reported and the evidence.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | Pending | undefined>, opts: WaitOptions): Promise<T> {
  const started = Date.now();
  let last: string | undefined;
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    let state: string | undefined;
    try {
      const got = await probe();
      if (got instanceof Pending) state = got.state;
      else if (got !== undefined) return got;
    } catch (err) {
      if (opts.fatal?.(err)) throw err;
      state = `error: ${(opts.describeError ?? messageOf)(err)}`;
    }
    const changed = state !== last;
    last = state;
    const left = opts.deadline - labNow();
    if (left <= 0) {
      const evidence = typeof opts.evidence === 'function' ? await opts.evidence() : (opts.evidence ?? []);
      throw new WaitTimeoutError(what, Date.now() - started, last, attempt, evidence, opts.fix ?? DEFAULT_FIX);
    }
    const interval = typeof opts.intervalMs === 'function' ? opts.intervalMs(attempt) : (opts.intervalMs ?? 1000);
    const nextInMs = Math.min(interval, left);
    opts.onRetry?.({ attempt, state: state ?? 'not yet', changed, nextInMs });
    await sleep(nextInMs, undefined, { signal: opts.signal }).catch((err: unknown) => {
      opts.signal?.throwIfAborted();
      throw err;
    });
  }
}
