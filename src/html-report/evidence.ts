import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import type { TimelineEvent } from '../report/timeline.js';

/** One piece of a failure's evidence: a file of the artifacts dir to link, or a fact to show. */
export interface EvidenceItem {
  text: string;
  /** Relative to the artifacts dir. */
  file?: string;
}

/** Where each collected artifact came from (src -> name), as the run's collect event recorded it (name -> src). */
export function collectedSources(events: readonly TimelineEvent[]): Map<string, string> {
  const sources = new Map<string, string>();
  for (const e of events) {
    const copied = e.data?.copied;
    // Timelines from before the record list the names only.
    if (copied && typeof copied === 'object' && !Array.isArray(copied)) for (const [name, src] of Object.entries(copied)) sources.set(String(src), name);
  }
  return sources;
}

/**
 * A step-fail event's evidence, each entry resolved to the artifact it became: evidence names
 * the lab's own files (/var/lib/metal-lab/labs/LAB/console/node1.log), which `down` removes, and
 * the run copied them into the artifacts dir. Resolved by the collect event's record, then by
 * path inside the dir, then (timelines from before that record) by a matching path suffix.
 * What is not a file (the node's last request) stays text.
 */
export function resolveEvidence(evidence: readonly string[], dir: string, files: readonly string[], sources: ReadonlyMap<string, string>): EvidenceItem[] {
  const have = new Set(files);
  const bySuffix = [...files].sort((a, b) => b.length - a.length);
  return evidence.map((text) => {
    const inside = path.isAbsolute(text) ? path.relative(dir, text) : undefined;
    const file = [sources.get(text), inside, bySuffix.find((f) => text.endsWith(`/${f}`))].find((f) => f !== undefined && have.has(f));
    return file ? { text, file } : { text };
  });
}

/** The last `count` lines of a console log as a terminal would show them: escapes gone, a `\r` overwrite applied. */
export function consoleTail(text: string, count: number): string[] {
  const lines = stripVTControlCharacters(text)
    .split('\n')
    .map((line) => (line.replace(/\r+$/, '').split('\r').at(-1) ?? '').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ''))
    .filter((line) => line.trim() !== '');
  return lines.slice(-count);
}
