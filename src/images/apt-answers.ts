import { readFileSync } from 'node:fs';
import { loadedBundle } from '../ground/bundle-layout.js';
import { hostLayout } from '../ground/host-layout.js';
import { noteAptAnswer } from '../toolkit/bundle-record.js';

/**
 * The apt questions that key the cached builds (which sites, which versions, which source
 * package), answered by apt, or by a loaded workshop bundle. A laptop that loaded one resolves
 * every build to the entries the bundle brought, whatever its own apt lists say or whether it
 * has any: offline, apt could not answer at all (Kubernetes' source version needs the archive).
 * While a bundle is made, every answer given is noted, to go into it (bundle-record.ts).
 */

export type AptAnswers = Record<string, unknown>;

/** Where `bundle load` puts the answers, in the cache they key. */
export const pinnedAnswersFile = (cacheRoot = hostLayout().cacheRoot) => loadedBundle(cacheRoot).answers;

function pinned(): AptAnswers | undefined {
  try {
    return JSON.parse(readFileSync(pinnedAnswersFile(), 'utf8')) as AptAnswers;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The bundle's answer to `question` if one is loaded and has it, else what `ask` gets from apt. */
export async function aptAnswer<T>(question: string, ask: () => Promise<T>): Promise<T> {
  const answers = pinned();
  const answer = answers && question in answers ? (answers[question] as T) : await ask();
  noteAptAnswer(question, answer);
  return answer;
}
