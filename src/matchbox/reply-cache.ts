/**
 * Replies that depend on nothing but the data-dir snapshot and the request target (a boot script,
 * a group's metadata), kept for the snapshot they came from: every machine asks for the same ones
 * on every boot, and a reload makes a new snapshot, which starts the cache empty.
 */
import type { StoreSnapshot } from './store.js';

/** Room for every machine of a large data dir; past it replies are made each time (the query string is the client's to vary). */
const MAX_REPLIES = 50_000;

export class ReplyCache<T> {
  private snapshot: StoreSnapshot | undefined;
  private readonly replies = new Map<string, T>();

  get(snapshot: StoreSnapshot, target: string): T | undefined {
    if (snapshot === this.snapshot) return this.replies.get(target);
    this.snapshot = snapshot;
    this.replies.clear();
    return undefined;
  }

  set(snapshot: StoreSnapshot, target: string, reply: T): void {
    if (snapshot === this.snapshot && this.replies.size < MAX_REPLIES) this.replies.set(target, reply);
  }
}
