/**
 * Keeps a parsed snapshot of the data dir and reloads it when files change, so requests cost
 * no disk reads (Matchbox re-reads every group file per request) yet changes show up at once.
 *
 * Two signals mark the snapshot stale: inotify events (fs.watch) on the data dir, groups/ and
 * profiles/, and, checked synchronously, a change of those directories' mtime/ctime. The writer
 * renames files into place, which changes the directory's times before the write returns, so a
 * request sent right after a write never sees the old snapshot. The times are read once per
 * event-loop turn, not per request: the requests a turn reads were on their sockets when it began,
 * so one sent after a write arrives in a later turn, which reads the times again.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LabError } from '../errors.js';
import { type StoreSnapshot, loadStore } from './store.js';

const WATCHED = ['', 'groups', 'profiles'];

export class LiveStore {
  private snapshot: StoreSnapshot;
  private stamps: string;
  private dirty = false;
  private checkedThisTurn = false;
  private reloading: Promise<StoreSnapshot> | undefined;
  private watchers: fs.FSWatcher[] = [];
  private lastError: string | undefined;

  private constructor(
    readonly dataDir: string,
    first: StoreSnapshot,
    stamps: string,
    private readonly onError: (err: Error) => void,
  ) {
    this.snapshot = first;
    this.stamps = stamps;
    this.watch();
  }

  /** Loads the data dir (throwing its SpecError if invalid) and starts watching it. */
  static async open(dataDir: string, onError: (err: Error) => void): Promise<LiveStore> {
    const stamps = dirStamps(dataDir);
    return new LiveStore(dataDir, await loadStore(dataDir), stamps, onError);
  }

  /** The current snapshot, reloaded first if anything changed. On a bad change the last good snapshot stays. */
  get(): StoreSnapshot | Promise<StoreSnapshot> {
    if (this.reloading) return this.reloading;
    if (!this.dirty && this.checkedThisTurn) return this.snapshot;
    this.checkedThisTurn = true;
    setImmediate(() => (this.checkedThisTurn = false));
    const stamps = dirStamps(this.dataDir);
    if (!this.dirty && stamps === this.stamps) return this.snapshot;
    this.dirty = false;
    this.stamps = stamps;
    this.reloading = loadStore(this.dataDir)
      .then((next) => {
        this.snapshot = next;
        this.lastError = undefined;
        return next;
      })
      .catch((err: Error) => {
        // Report each distinct problem once; keep serving what last loaded cleanly.
        const line = err instanceof LabError ? err.line() : err.message;
        if (line !== this.lastError) this.onError(err);
        this.lastError = line;
        return this.snapshot;
      })
      .finally(() => {
        this.reloading = undefined;
        this.watch();
      });
    return this.reloading;
  }

  close(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  // (Re)attach watchers: a directory created after start (groups/ on an empty data dir) gets one too.
  private watch(): void {
    this.close();
    for (const sub of WATCHED) {
      try {
        const w = fs.watch(path.join(this.dataDir, sub), { persistent: false }, () => {
          this.dirty = true;
        });
        w.on('error', () => {
          this.dirty = true;
        });
        this.watchers.push(w);
      } catch {
        // Not there yet: the data dir's own watcher and the mtime stamps notice its creation.
      }
    }
  }
}

function dirStamps(dataDir: string): string {
  let out = '';
  for (const sub of WATCHED) {
    const st = fs.statSync(path.join(dataDir, sub), { throwIfNoEntry: false });
    out += st ? `${st.ino}:${st.mtimeMs}:${st.ctimeMs};` : '-;';
  }
  return out;
}
