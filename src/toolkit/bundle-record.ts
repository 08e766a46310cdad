/**
 * What the lab used while `bundle create` resolved and built everything: apt's answers that keyed
 * the builds, and the cache entries those builds found or made. The bundle is made of them.
 */
export interface BundleRecord {
  aptAnswers: Record<string, unknown>;
  /** Cache entry dirs, as cachedBuild returned them. */
  entries: Set<string>;
}

let current: BundleRecord | undefined;

/** Records from now until `stop`; the record fills as the lab works. */
export function startBundleRecord(): { record: BundleRecord; stop: () => void } {
  const record: BundleRecord = { aptAnswers: {}, entries: new Set() };
  current = record;
  return { record, stop: () => void (current = undefined) };
}

export function noteAptAnswer(question: string, answer: unknown): void {
  if (current) current.aptAnswers[question] = answer;
}

export function noteCacheEntry(dir: string): void {
  current?.entries.add(dir);
}
