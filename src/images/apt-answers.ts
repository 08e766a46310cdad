import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
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

function readAnswers(file: string): AptAnswers | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as AptAnswers;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export interface AnswerMemo {
  /** apt's package lists: every answer holds until one of them changes (`apt-get update`). */
  listsDir: string;
  /** Where the answers are kept, one file per state of the lists. */
  dir: string;
}

const hostMemo = (): AnswerMemo => ({ listsDir: '/var/lib/apt/lists', dir: path.join(hostLayout().cacheRoot, 'apt-answers') });

/** The state of the package lists as a file name: each list's name, size and time. */
function listsState(listsDir: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(listsDir).filter((n) => n !== 'lock' && n !== 'partial' && n !== 'auxfiles').sort();
  } catch {
    return undefined;
  }
  if (names.length === 0) return undefined;
  const hash = createHash('sha256');
  for (const name of names) {
    const s = statSync(path.join(listsDir, name));
    hash.update(`${name} ${s.size} ${s.mtimeMs}\n`);
  }
  return `${hash.digest('hex').slice(0, 24)}.json`;
}

/**
 * apt's answer to `question`, remembered while its lists stay as they are: each apt-cache call
 * costs about half a second here (Debian's container images keep no pkgcache.bin), and `up` of a
 * built lab asked three in a row only to find its cached images. Also the Kubernetes source
 * question, which otherwise updates a private apt over the network on every run.
 */
export async function rememberedAnswer<T>(question: string, ask: () => Promise<T>, memo: AnswerMemo): Promise<T> {
  const state = listsState(memo.listsDir);
  if (!state) return ask();
  const file = path.join(memo.dir, state);
  const known = readAnswers(file) ?? {};
  if (question in known) return known[question] as T;
  const answer = await ask();
  // Written whole and renamed: a concurrent run reads the old set or the new, and the answers of
  // lists that changed are dropped with it.
  mkdirSync(memo.dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...(readAnswers(file) ?? {}), [question]: answer }));
  renameSync(tmp, file);
  for (const old of readdirSync(memo.dir)) if (!old.startsWith(state)) rmSync(path.join(memo.dir, old), { force: true });
  return answer;
}

/** The bundle's answer to `question` if one is loaded and has it, else apt's, remembered. */
export async function aptAnswer<T>(question: string, ask: () => Promise<T>): Promise<T> {
  const answers = readAnswers(pinnedAnswersFile());
  const answer = answers && question in answers ? (answers[question] as T) : await rememberedAnswer(question, ask, hostMemo());
  noteAptAnswer(question, answer);
  return answer;
}
