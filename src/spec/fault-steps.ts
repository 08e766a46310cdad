import { z } from 'zod';

/** Units a `kill` step may kill: the ones whose restart the lab can prove. */
export const KILLABLE_UNITS = ['etcd', 'kubelet', 'containerd'] as const;
export type KillableUnit = (typeof KILLABLE_UNITS)[number];

/**
 * What bare metal does to a cluster, as scenario steps. Each one's runner checks the recovery
 * that belongs to it (a link back up answers SSH again, a killed unit runs again, ...).
 */
export type Fault =
  /** The node's NIC link, as `virsh domif-setlink` sets it. */
  | { kind: 'link'; node: string; state: 'down' | 'up' }
  /** Traffic between the groups dropped on the lab bridge (nftables, bridge family); the host still reaches every node. */
  | { kind: 'partition'; between: string[][] }
  /** Every partition lifted. */
  | { kind: 'heal' }
  /** Delay and loss on the node's tap device (tc netem); neither clears them. */
  | { kind: 'netem'; node: string; delayMs?: number; loss?: number }
  /** The lab's boot server stopped, started or both. */
  | { kind: 'boot-server'; action: 'stop' | 'start' | 'restart' }
  /** A unit's processes killed with SIGKILL; systemd must bring it back. */
  | { kind: 'kill'; node: string; unit: KillableUnit }
  /** The node's clock set `offsetS` away from the host's; 0 sets it right again. */
  | { kind: 'clock'; node: string; offsetS: number }
  /** The filesystem holding `path` filled up, root's reserve included. */
  | { kind: 'disk-full'; node: string; path: string }
  /** What a `disk-full` of the same node and path took, given back. */
  | { kind: 'disk-free'; node: string; path: string }
  /** etcd's runbook for a failed member: removed, its data wiped, added back and resynced. */
  | { kind: 'etcd-replace'; node: string };

export type FaultKind = Fault['kind'];
export const FAULT_KINDS = ['link', 'partition', 'heal', 'netem', 'boot-server', 'kill', 'clock', 'disk-full', 'disk-free', 'etcd-replace'] as const satisfies readonly FaultKind[];

/** The nodes a fault names, each with its field below the step. */
export function faultNodes(f: Fault): [field: string, node: string][] {
  if (f.kind === 'partition') return f.between.flatMap((group, g) => group.map((n, j): [string, string] => [`partition.between[${g}][${j}]`, n]));
  if ('node' in f) return [[`${f.kind}.node`, f.node]];
  return [];
}

/** How a step's report line names a fault. */
export function faultTitle(f: Fault): string {
  switch (f.kind) {
    case 'link': return `link ${f.state}`;
    case 'partition': return `partition ${f.between.map((g) => g.join('+')).join(' | ')}`;
    case 'netem': return f.delayMs === undefined && f.loss === undefined ? 'netem clear' : 'netem';
    case 'boot-server': return `boot-server ${f.action}`;
    case 'kill': return `kill ${f.unit}`;
    case 'clock': return `clock ${f.offsetS >= 0 ? '+' : ''}${f.offsetS}s`;
    default: return f.kind;
  }
}

/** The node a fault's report line is under, if it has one. */
export function faultNode(f: Fault): string | undefined {
  return 'node' in f ? f.node : undefined;
}

const NAME = /^[a-z][a-z0-9-]*$/;
const nodeName = z.string().regex(NAME, { message: 'not a node name: lower-case letters, digits and "-", starting with a letter' });

/** 200ms, 1s: a netem delay, at most a minute. */
const delay = z
  .string()
  .regex(/^\d+(ms|s)$/, { message: 'not a delay: write e.g. 200ms or 1s' })
  .transform((d) => (d.endsWith('ms') ? Number(d.slice(0, -2)) : Number(d.slice(0, -1)) * 1000))
  .superRefine((ms, ctx) => {
    if (ms > 60_000) ctx.addIssue({ code: 'custom', message: 'a delay of more than a minute cuts the node off', params: { fix: 'use at most 60s, or a partition or link step to cut it off' } });
  });

/** 0% to 100%, as a share. */
const loss = z
  .string()
  .regex(/^(100|\d{1,2}(\.\d+)?)%$/, { message: 'not a percentage: write e.g. 5% or 0.5%' })
  .transform((p) => Number(p.slice(0, -1)) / 100);

/** -90s, 5m, 2h, 0s: how far off a clock is set, within a year either way. */
const offset = z
  .string()
  .regex(/^-?\d+(s|m|h|d)$/, { message: 'not a clock offset: write e.g. 5m, -90s, 2h or 0s' })
  .transform((o) => Number(o.slice(0, -1)) * { s: 1, m: 60, h: 3600, d: 86_400 }[o.slice(-1) as 's' | 'm' | 'h' | 'd'])
  .superRefine((s, ctx) => {
    // Further than that and the lab's certificates are not yet, or no longer, valid on the node.
    if (Math.abs(s) > 366 * 86_400) ctx.addIssue({ code: 'custom', message: `more than a year ${s > 0 ? 'ahead' : 'back'}`, params: { fix: 'use at most 366d either way' } });
  });

/** A directory on the node: absolute, and nothing a shell would read as more than a path. */
const nodePath = z.string().regex(/^\/[A-Za-z0-9._/-]*$/, { message: 'not an absolute path of letters, digits, ".", "_", "-" and "/"' });

/** The step fields of every fault, for the scenario's step schema. */
export const FAULT_FIELDS = {
  link: z.strictObject({ node: nodeName, state: z.enum(['down', 'up']) }).optional(),
  partition: z
    .strictObject({ between: z.array(z.array(nodeName).min(1)) })
    .superRefine((p, ctx) => {
      if (p.between.length < 2) {
        ctx.addIssue({ code: 'custom', message: `a partition needs two groups or more, got ${p.between.length}`, path: ['between'], params: { fix: 'write between: [[node1], [node2, node3]]' } });
      }
      const seen = new Map<string, number>();
      p.between.forEach((group, g) =>
        group.forEach((n, j) => {
          if (seen.has(n)) ctx.addIssue({ code: 'custom', message: `${n} is in group ${seen.get(n)} already`, path: ['between', g, j], params: { fix: 'put each node in one group only' } });
          else seen.set(n, g);
        }),
      );
    })
    .optional(),
  heal: z.literal(true).optional(),
  netem: z
    .strictObject({ node: nodeName, delay: delay.optional(), loss: loss.optional(), clear: z.literal(true).optional() })
    .superRefine((n, ctx) => {
      const shapes = (n.delay !== undefined || n.loss !== undefined ? 1 : 0) + (n.clear ? 1 : 0);
      if (shapes !== 1) ctx.addIssue({ code: 'custom', message: 'netem either sets delay and/or loss, or clears them', path: [], params: { fix: 'write netem: { node: node2, delay: 200ms, loss: 5% } or netem: { node: node2, clear: true }' } });
    })
    .optional(),
  'boot-server': z.enum(['stop', 'start', 'restart']).optional(),
  kill: z.strictObject({ node: nodeName, unit: z.enum(KILLABLE_UNITS) }).optional(),
  clock: z.strictObject({ node: nodeName, offset }).optional(),
  'disk-full': z.strictObject({ node: nodeName, path: nodePath }).optional(),
  'disk-free': z.strictObject({ node: nodeName, path: nodePath }).optional(),
  'etcd-replace': z.strictObject({ node: nodeName }).optional(),
};

type FaultFields = { [K in keyof typeof FAULT_FIELDS]?: z.output<(typeof FAULT_FIELDS)[K]> };

/** The fault a step's fields describe, if they describe one. */
export function faultOf(s: FaultFields): Fault | undefined {
  if (s.link) return { kind: 'link', ...s.link };
  if (s.partition) return { kind: 'partition', between: s.partition.between };
  if (s.heal) return { kind: 'heal' };
  if (s.netem) return { kind: 'netem', node: s.netem.node, ...(s.netem.delay !== undefined ? { delayMs: s.netem.delay } : {}), ...(s.netem.loss !== undefined ? { loss: s.netem.loss } : {}) };
  if (s['boot-server']) return { kind: 'boot-server', action: s['boot-server'] };
  if (s.kill) return { kind: 'kill', ...s.kill };
  if (s.clock) return { kind: 'clock', node: s.clock.node, offsetS: s.clock.offset };
  if (s['disk-full']) return { kind: 'disk-full', ...s['disk-full'] };
  if (s['disk-free']) return { kind: 'disk-free', ...s['disk-free'] };
  if (s['etcd-replace']) return { kind: 'etcd-replace', ...s['etcd-replace'] };
  return undefined;
}

/** How each fault field is written, for "expected ..." messages. */
export const FAULT_FORMS = {
  link: '{node: node2, state: down} or {node: node2, state: up}',
  state: 'down or up',
  partition: '{between: [[node1], [node2, node3]]}',
  between: 'a list of two or more groups of node names, e.g. [[node1], [node2, node3]]',
  heal: 'heal alone',
  netem: '{node: node2, delay: 200ms, loss: 5%} or {node: node2, clear: true}',
  delay: 'a delay such as 200ms or 1s',
  loss: 'a share of packets such as 5%',
  clear: 'true',
  'boot-server': 'stop, start or restart',
  kill: `{node: node1, unit: ${KILLABLE_UNITS.join('|')}}`,
  unit: KILLABLE_UNITS.join(', '),
  clock: '{node: node3, offset: 5m} (0s sets it right)',
  offset: 'a clock offset such as 5m, -90s, 2h or 0s',
  'disk-full': '{node: node2, path: /var/lib/etcd}',
  'disk-free': '{node: node2, path: /var/lib/etcd}',
  path: 'an absolute path on the node such as /var/lib/etcd',
  'etcd-replace': '{node: node3}',
  node: 'a node name such as node2',
};
