import type { Bar } from './lanes.js';

/** A node's field change as the rollout watch writes it (rollout-record.ts): `TIME NODE FIELD: FROM -> TO`. */
const CHANGE = /^(\S+) (\S+) (reboot-in-progress|bootID|label\/version): (.*) -> (.*)$/;

const clock = (ms: number) => new Date(ms).toISOString().slice(11, 19);

interface Window {
  node: string;
  start: number;
  end?: number;
  boots: number[];
  from?: string;
  to?: string;
}

function bar(w: Window, runStart: number, lastSeen: number): Bar {
  const versions = w.from && w.to ? ` ${w.from} → ${w.to}` : '';
  const facts = [
    w.end === undefined ? `reboot-in-progress since ${clock(w.start)}, still set when the watch stopped` : `reboot-in-progress ${clock(w.start)} → ${clock(w.end)}`,
    ...w.boots.map((b) => `new boot at ${clock(b)}`),
    ...(versions ? [`label/version${versions}`] : []),
  ];
  return {
    kind: 'reboot',
    label: `update reboot${versions}`,
    node: w.node,
    startMs: w.start - runStart,
    endMs: (w.end ?? lastSeen) - runStart,
    outcome: w.end === undefined ? 'unfinished' : 'ok',
    detail: facts.join('; '),
  };
}

/**
 * The update reboots in a rollout timeline (rollout-timeline.txt), per node: each window the
 * update agent held reboot-in-progress, with the new boot and version seen in it; a boot ID
 * that changed outside such a window (a fallback, a reboot step) is a reboot of its own.
 */
export function updateReboots(text: string, runStart: number): Bar[] {
  const bars: Bar[] = [];
  const open = new Map<string, Window>();
  let lastSeen = runStart;
  for (const line of text.split('\n')) {
    const stamp = Date.parse(line.slice(0, line.indexOf(' ')));
    if (Number.isFinite(stamp)) lastSeen = stamp;
    const m = CHANGE.exec(line);
    if (!m) continue;
    const [, , node, field, from, to] = m as unknown as [string, string, string, string, string, string];
    const w = open.get(node);
    if (field === 'reboot-in-progress' && to === 'true' && !w) open.set(node, { node, start: stamp, boots: [] });
    else if (field === 'reboot-in-progress' && to !== 'true' && w) {
      open.delete(node);
      bars.push(bar({ ...w, end: stamp }, runStart, lastSeen));
    } else if (field === 'bootID') {
      if (w) w.boots.push(stamp);
      else bars.push({ kind: 'reboot', label: 'reboot', node, startMs: stamp - runStart, endMs: stamp - runStart, outcome: 'ok', detail: `new boot at ${clock(stamp)}, outside an update's reboot window` });
    } else if (field === 'label/version' && w) Object.assign(w, { from: w.from ?? from, to });
  }
  for (const w of open.values()) bars.push(bar(w, runStart, lastSeen));
  return bars.sort((a, b) => a.startMs - b.startMs);
}
