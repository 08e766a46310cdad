/**
 * Answers that depend on nothing but the data-dir snapshot and the request's path and query (a
 * boot script, a group's metadata), kept for the snapshot they came from: every machine asks for
 * the same ones on every boot, and a reload makes a new snapshot, which starts the cache empty.
 */
import type { Answer } from './endpoints.js';
import type { StoreSnapshot } from './store.js';

/** Room for every machine of a large data dir; past it answers are rendered each time (the query string is the client's to vary). */
const MAX_ANSWERS = 50_000;

export class ReplyCache {
  private snapshot: StoreSnapshot | undefined;
  private readonly answers = new Map<string, Answer>();

  get(snapshot: StoreSnapshot, key: string): Answer | undefined {
    if (snapshot === this.snapshot) return this.answers.get(key);
    this.snapshot = snapshot;
    this.answers.clear();
    return undefined;
  }

  set(snapshot: StoreSnapshot, key: string, answer: Answer): void {
    if (snapshot === this.snapshot && this.answers.size < MAX_ANSWERS) this.answers.set(key, answer);
  }
}
