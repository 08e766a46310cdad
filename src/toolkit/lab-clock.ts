import { AsyncLocalStorage } from 'node:async_hooks';

/** Milliseconds as deadlines count them: Date.now(), or a clock that runs slower while the lab is starved. */
export interface Clock {
  now(): number;
}

const wallClock: Clock = { now: () => Date.now() };
const scope = new AsyncLocalStorage<Clock>();

/**
 * Now, on the clock of the lab this call runs for: deadlines are computed and compared with it,
 * so a lab whose host gave its CPU to others gets that time back (see host-share-clock.ts).
 */
export const labNow = (): number => (scope.getStore() ?? wallClock).now();

/** Runs `fn` with every deadline inside it on `clock`; labs run side by side keep their own. */
export function withClock<T>(clock: Clock, fn: () => Promise<T>): Promise<T> {
  return scope.run(clock, fn);
}
