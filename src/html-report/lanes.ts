import type { StepOutcome, StepResult } from '../report/timeline.js';

/**
 * One drawn span of the run: a step from the timeline, a boot phase from the boot server's
 * requests, or an update reboot from the rollout watch. Times are ms on the run's clock.
 */
export interface Bar {
  kind: 'step' | 'phase' | 'reboot';
  label: string;
  node?: string;
  startMs: number;
  endMs: number;
  /** A phase or reboot is 'ok' when it reached its end, 'unfinished' when it never did. */
  outcome: StepOutcome;
  detail?: string;
  /** A step's index in stepResults(): its row in the checks table. */
  check?: number;
}

/** A node's row group (or the lab's, for steps of no node): its bars packed into rows that never overlap. */
export interface Lane {
  name: string;
  node?: string;
  rows: Bar[][];
}

export const LAB_LANE = 'lab';

export function stepBars(results: readonly StepResult[]): Bar[] {
  return results.map((r, check) => ({
    kind: 'step',
    label: r.step,
    node: r.node,
    startMs: r.startMs,
    endMs: r.endMs,
    outcome: r.outcome,
    detail: r.message,
    check,
  }));
}

/** First fit in start order: a bar goes on the first row whose last bar has ended by its start. */
function packRows(bars: readonly Bar[]): Bar[][] {
  const rows: Bar[][] = [];
  for (const bar of [...bars].sort((a, b) => a.startMs - b.startMs)) {
    const row = rows.find((r) => r.at(-1)!.endMs <= bar.startMs);
    if (row) row.push(bar);
    else rows.push([bar]);
  }
  return rows;
}

const KIND_ORDER: readonly Bar['kind'][] = ['phase', 'step', 'reboot'];

/**
 * The lab's lane first, then one per node in natural order (node2 before node10); in a lane,
 * boot phases on top, then steps, then update reboots, each kind on rows of its own.
 */
export function lanes(bars: readonly Bar[]): Lane[] {
  const byNode = new Map<string, Bar[]>();
  for (const b of bars) byNode.set(b.node ?? '', [...(byNode.get(b.node ?? '') ?? []), b]);
  const nodes = [...byNode.keys()].filter(Boolean).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const order = byNode.has('') ? ['', ...nodes] : nodes;
  return order.map((node) => {
    const mine = byNode.get(node)!;
    return {
      name: node || LAB_LANE,
      ...(node ? { node } : {}),
      rows: KIND_ORDER.flatMap((kind) => packRows(mine.filter((b) => b.kind === kind))),
    };
  });
}
