import type { Lease } from '../libvirt/network.js';
import { nodeRequests } from '../matchbox/request-log.js';
import type { RequestLogEntry } from '../matchbox/types.js';
import { formatDuration } from '../report/progress.js';
import type { Bar } from './lanes.js';

/** Points in a node's boot that its requests to the boot server show. */
type Milestone = 'pxe' | 'userspace' | 'installed-to-disk' | 'ignition' | 'installed';

const SAID: Record<Milestone, string> = {
  pxe: 'firmware fetched /boot.ipxe',
  userspace: 'live system up',
  'installed-to-disk': 'labos written to disk',
  ignition: 'Ignition fetched its config',
  installed: 'first boot reported',
};

/** The phase each milestone opens and the milestone that ends it; `installed` opens none. */
const OPENS: Partial<Record<Milestone, { phase: string; until: Milestone }>> = {
  pxe: { phase: 'PXE', until: 'userspace' },
  userspace: { phase: 'install', until: 'installed-to-disk' },
  'installed-to-disk': { phase: 'first boot', until: 'ignition' },
  ignition: { phase: 'Ignition', until: 'installed' },
};

const EVENT_STAGES: readonly Milestone[] = ['userspace', 'installed-to-disk', 'installed'];

function milestone(e: RequestLogEntry, previous: Milestone | undefined): Milestone | undefined {
  if (e.path === '/boot.ipxe' || e.path === '/boot.ipxe.0') return 'pxe';
  if (e.path === '/lab/event') return EVENT_STAGES.find((s) => s === e.labels?.stage);
  // The live installer fetches a config too; the one that counts follows the write to disk.
  if (e.path === '/ignition' && previous === 'installed-to-disk') return 'ignition';
  return undefined;
}

/**
 * A node's boot phases (PXE, install, first boot, Ignition), read off its requests in answer
 * order, on the run's clock (`runStart` in epoch ms). A phase whose closing milestone never came
 * is unfinished: cut short by the next milestone, or else open until the run's end (`endMs`).
 * A live system that asks for nothing more is simply up: no install follows it.
 */
export function bootPhases(node: string, requests: readonly RequestLogEntry[], runStart: number, endMs: number): Bar[] {
  const at = (e: RequestLogEntry) => Date.parse(e.time) - runStart;
  const bars: Bar[] = [];
  let open: { phase: string; until: Milestone; from: Milestone; startMs: number } | undefined;
  let previous: Milestone | undefined;
  const close = (end: number, reached: Milestone | undefined, cut: string) => {
    if (!open) return;
    const finished = reached === open.until;
    const detail = finished ? `${SAID[open.from]} → ${SAID[open.until]}` : `${SAID[open.from]}, then no "${SAID[open.until]}" ${cut}`;
    bars.push({ kind: 'phase', label: open.phase, node, startMs: open.startMs, endMs: end, outcome: finished ? 'ok' : 'unfinished', detail });
    open = undefined;
  };
  for (const e of requests) {
    const m = milestone(e, previous);
    if (!m) continue;
    close(at(e), m, `before ${e.path}`);
    const next = OPENS[m];
    if (next) open = { ...next, from: m, startMs: at(e) };
    previous = m;
  }
  const last = requests.at(-1);
  if (open && last && !(previous === 'userspace' && at(last) <= open.startMs)) {
    close(Math.max(endMs, at(last)), undefined, `before the run ended (its last request: ${last.path} at +${formatDuration(at(last))})`);
  }
  return bars;
}

/**
 * Each node's requests, by node name. The leases name each node's MAC and address; without them
 * (the network was gone when they were read) iPXE's /ipxe request names the node, its MAC and
 * its address.
 */
export function requestsByNode(entries: readonly RequestLogEntry[], leases: readonly Lease[]): Map<string, RequestLogEntry[]> {
  const ids = new Map<string, { mac: string; ip: string }>();
  for (const l of leases) if (l.hostname) ids.set(l.hostname, { mac: l.mac, ip: l.ip });
  for (const e of entries) {
    const name = e.labels?.hostname;
    if (name && !ids.has(name)) ids.set(name, { mac: e.labels.mac ?? '', ip: e.client });
  }
  return new Map([...ids].map(([name, id]) => [name, nodeRequests(entries, id)]));
}
