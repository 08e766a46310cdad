/**
 * Work that prints nothing for a while looks hung: a heartbeat says it is not. metal-lab aims to
 * leave no terminal silent for more than 10 s; 5 s leaves room for a timer that fires late, as
 * they do by seconds on a 2-core host busy with TCG guests.
 */
export const HEARTBEAT_MS = 5_000;

export interface HeartbeatOptions {
  /** What is going on, after "still": "building Kubernetes v1.20.2". */
  activity: string;
  say: (line: string) => void;
  /** The latest thing the activity said (the last line of a build log), if any. */
  last: () => string | undefined;
  intervalMs?: number;
}

/** 45 s -> "45s", 4 min -> "4m", 75 min -> "1h15m". */
export function elapsedText(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * Says "still <activity>: <elapsed> elapsed, last: <last line>" every interval until stopped.
 * The timer does not keep the process alive.
 */
export function startHeartbeat(o: HeartbeatOptions): { stop: () => void } {
  const started = Date.now();
  const timer = setInterval(() => {
    const last = o.last();
    o.say(`still ${o.activity}: ${elapsedText(Date.now() - started)} elapsed${last ? `, last: ${last}` : ''}`);
  }, o.intervalMs ?? HEARTBEAT_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
