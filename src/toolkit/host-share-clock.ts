import fs from 'node:fs';
import type { Clock } from './lab-clock.js';

/**
 * A clock for a lab's deadlines that does not count the time the host gave to other work.
 *
 * A lab's timeouts are KVM baselines scaled for the accelerator, measured on a quiet host. On a
 * host that is also building, testing or running a second lab, the same guest work takes longer
 * in wall time, and a wall-clock deadline turns "slower" into "failed". This clock runs at the
 * share of the host's CPU the lab could have had: from /proc, over each interval, 1 minus what
 * processes outside the lab used, plus what stayed idle (idle CPU means the lab was not held back).
 * It never runs slower than `floor`, so that a lab on a host busy for ever still times out.
 */
export interface HostShareOptions {
  /** The lab's processes (its VMs, its boot server, this process): their CPU time is the lab's. */
  pids: () => number[];
  /** The slowest rate: 0.2 lets a deadline stretch to 5 times its length at most. */
  floor?: number;
  /** /proc is read at most this often; in between the clock runs at the last rate. */
  sampleMs?: number;
  /** Reads a /proc file, undefined when it is gone (tests give their own). */
  read?: (file: string) => string | undefined;
  wallNow?: () => number;
}

export interface HostShareClock extends Clock {
  /** Wall milliseconds given back so far: how much longer than wall time the deadlines ran. */
  stretchMs(): number;
}

const readProc = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};

/** Ticks of the host's CPUs (all of them): total, and those that stayed idle. */
function hostTicks(stat: string): { total: number; idle: number } {
  const fields = stat.split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is inside user already)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait };
}

/**
 * A process's CPU ticks with those of its children it has waited for (the runner's virsh, apt,
 * qemu-img are the lab's work too), keyed by pid and start time so a reused pid is a new process.
 */
function processTicks(stat: string): { key: string; ticks: number } | undefined {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command: state is field 3, so utime (14), stime, cutime, cstime are at 11-14.
  const ticks = rest.slice(11, 15).map(Number);
  if (ticks.length < 4 || ticks.some((n) => !Number.isFinite(n))) return undefined;
  return { key: rest[19] ?? '', ticks: ticks.reduce((a, b) => a + b, 0) };
}

export function hostShareClock(o: HostShareOptions): HostShareClock {
  const read = o.read ?? readProc;
  const wallNow = o.wallNow ?? Date.now;
  const floor = o.floor ?? 0.2;
  const sampleMs = o.sampleMs ?? 1000;
  const started = wallNow();
  let sampledAt = started;
  let labAt = started;
  let rate = 1;
  let last = started;
  let host = hostTicks(read('/proc/stat') ?? 'cpu');
  let seen = new Map<number, { key: string; ticks: number }>();

  // The lab's CPU ticks since the last sample; a process first seen now counts from here on.
  const labTicksSince = (): number => {
    const now = new Map<number, { key: string; ticks: number }>();
    let used = 0;
    for (const pid of o.pids()) {
      const p = processTicks(read(`/proc/${pid}/stat`) ?? '');
      if (!p) continue;
      const before = seen.get(pid);
      if (before && before.key === p.key) used += Math.max(0, p.ticks - before.ticks);
      now.set(pid, p);
    }
    seen = now;
    return used;
  };
  labTicksSince();

  const sample = (t: number) => {
    const nowHost = hostTicks(read('/proc/stat') ?? 'cpu');
    const total = nowHost.total - host.total;
    const idle = nowHost.idle - host.idle;
    const lab = labTicksSince();
    host = nowHost;
    if (total > 0) {
      const others = Math.max(0, total - idle - lab);
      rate = Math.min(1, Math.max(floor, 1 - others / total + idle / total));
    }
    labAt += (t - sampledAt) * rate;
    sampledAt = t;
  };

  return {
    now() {
      const t = wallNow();
      if (t - sampledAt >= sampleMs) sample(t);
      last = Math.max(last, labAt + (t - sampledAt) * rate);
      return last;
    },
    stretchMs() {
      return Math.max(0, wallNow() - started - (this.now() - started));
    },
  };
}
