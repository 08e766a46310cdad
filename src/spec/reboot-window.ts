/**
 * The update operator's reboot window, in the two forms FLUO v0.9.0's --reboot-window-start and
 * --reboot-window-length take (pkg/operator/periodic.go): a start of an optional weekday and a
 * time of day, and a Go duration. Checked here so a lab that loads gives an operator that starts.
 * Stricter than FLUO where FLUO is lax: it ignores anything after the time ("14:00 UTC", "14:00x").
 */

type Problem = { problem: string; fix: string } | undefined;

const EXAMPLE = 'e.g. "Mon 14:00" (weekly) or "14:00" (daily)';
/** Go's time.Weekday names, which FLUO matches in any case. */
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** The start's words: a time, or a day and a time. */
const words = (start: string) => start.trim().split(/\s+/);

export function windowStartProblem(start: string): Problem {
  const parts = words(start);
  if (parts.length > 2 || parts[0] === '') return { problem: `"${start}" is not a day and a time of day`, fix: `write [day] HH:MM, ${EXAMPLE}` };
  const [day, time = ''] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (day !== undefined && !DAYS.includes(day.toLowerCase())) {
    return { problem: `"${day}" is not a day of the week`, fix: `use Sun, Mon, Tue, Wed, Thu, Fri or Sat, ${EXAMPLE}` };
  }
  const m = /^(\d{1,2}):(\d{2})$/.exec(time);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) return { problem: `"${time}" is not a time of day`, fix: `write 24-hour HH:MM, 00:00 to 23:59, ${EXAMPLE}` };
  return undefined;
}

export const HOUR_NS = 3600e9;

/** A start with a day repeats weekly, one without daily; the window must be shorter than that. */
export function windowPeriodHours(start: string): number {
  return words(start).length === 2 ? 7 * 24 : 24;
}

// Nanoseconds, as Go counts: sums stay exact integers (a week is 6e14 ns, far below 2^53).
const UNIT_NS: Record<string, number> = { h: HOUR_NS, m: 60e9, s: 1e9, ms: 1e6, us: 1e3, µs: 1e3, μs: 1e3, ns: 1 };
// Two-letter units first: "ms" must not read as minutes then seconds.
const TERM = '(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|h|m|s)';

/** A Go duration (time.ParseDuration) without a sign, in nanoseconds; "0" is Go's zero. */
export function durationNs(text: string): number | undefined {
  if (text === '0') return 0;
  if (!new RegExp(`^(?:${TERM})+$`).test(text)) return undefined;
  return [...text.matchAll(new RegExp(TERM, 'g'))].reduce((sum, [, n, unit]) => sum + Math.round(Number(n) * UNIT_NS[unit!]!), 0);
}

export function windowLengthProblem(length: string): Problem {
  const ns = durationNs(length);
  if (ns === undefined) return { problem: `"${length}" is not a duration`, fix: 'write it as Go does, in h, m and s, e.g. 1h30m' };
  if (ns === 0) return { problem: `"${length}" is no time at all, so the window would never open`, fix: 'use a positive length, e.g. 1h30m' };
  return undefined;
}
