import type { ResultPromise } from 'execa';

/**
 * Watches a child's stderr (where metal-lab says what it does) from now until the child exits.
 * Returns the longest a user watching it saw nothing new, in ms.
 */
export function longestSilence(child: ResultPromise): () => number {
  const stamps = [Date.now()];
  child.stderr?.on('data', () => stamps.push(Date.now()));
  child.once('exit', () => stamps.push(Date.now()));
  return () => Math.max(0, ...stamps.slice(1).map((at, i) => at - (stamps[i] ?? at)));
}
