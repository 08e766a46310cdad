import type { V1Node, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { FLUO_KEYS as F, GUARD_KEYS as G, OVERDUE_CONDITION } from '../guard/keys.js';

/**
 * What a rollout watch saw, kept as a sequence of instants: the state of every node and
 * PodDisruptionBudget after each look at the API. Pure: the watch (rollout-watch.ts) feeds it,
 * the verdicts (rollout-verdicts.ts) read it, and tests feed it recorded sequences.
 */

/** What the record keeps of one object: the fields whose every change it notes, as strings. */
export type View = Readonly<Record<string, string>>;

export type Kind = 'node' | 'pdb';

/** The state of everything watched at one instant. */
export interface Instant {
  at: number;
  nodes: ReadonlyMap<string, View>;
  budgets: ReadonlyMap<string, View>;
}

export interface Change {
  at: number;
  kind: Kind;
  name: string;
  field: string;
  /** undefined: the field was not set (or the object not seen) before. */
  from?: string;
  to?: string;
}

const suffix = (key: string) => key.slice(key.lastIndexOf('/') + 1);
/** A FLUO annotation by its suffix (`reboot-ok`), the guard's as `rollout-guard.held`, labels as `label/version`. */
const annotationField = suffix;
const labelField = (key: string) => `label/${suffix(key)}`;

/** The fields the verdicts read. */
export const FIELD = {
  rebootOk: annotationField(F.rebootOk),
  rebootInProgress: annotationField(F.rebootInProgress),
  rebootNeeded: annotationField(F.rebootNeeded),
  rebootPaused: annotationField(F.rebootPaused),
  status: annotationField(F.status),
  version: labelField(F.version),
  beforeReboot: labelField(F.beforeReboot),
  afterReboot: labelField(F.afterReboot),
  updateFailed: annotationField(G.updateFailed),
  pausedFor: annotationField(G.pausedFor),
  unschedulable: 'unschedulable',
  ready: 'Ready',
  bootId: 'bootID',
  currentHealthy: 'currentHealthy',
  desiredHealthy: 'desiredHealthy',
  disruptionsAllowed: 'disruptionsAllowed',
} as const;

/** FLUO's annotations (its agent's `last-checked-time` aside: a clock, not a state) and every one of the guard's. */
const ANNOTATIONS = [F.rebootNeeded, F.rebootInProgress, F.rebootOk, F.rebootPaused, F.status, F.newVersion, ...Object.values(G)];
const LABELS = [F.rebootNeeded, F.version, F.beforeReboot, F.afterReboot];

/** A node's update state: FLUO's and the guard's keys, the cordon, readiness, the guard's overdue condition, the boot. */
export function nodeView(n: V1Node): View {
  const view: Record<string, string> = {};
  const { annotations = {}, labels = {} } = n.metadata ?? {};
  for (const key of ANNOTATIONS) if (annotations[key] !== undefined) view[annotationField(key)] = annotations[key];
  for (const key of LABELS) if (labels[key] !== undefined) view[labelField(key)] = labels[key];
  if (n.spec?.unschedulable) view[FIELD.unschedulable] = 'true';
  for (const c of n.status?.conditions ?? []) {
    if (c.type === 'Ready' || c.type === OVERDUE_CONDITION) view[suffix(c.type)] = c.status;
  }
  const boot = n.status?.nodeInfo?.bootID;
  if (boot) view[FIELD.bootId] = boot;
  return view;
}

/** What the disruption controller says of a budget. */
export function budgetView(b: V1PodDisruptionBudget): View {
  const s = b.status;
  const view: Record<string, string> = {};
  if (s?.currentHealthy !== undefined) view[FIELD.currentHealthy] = String(s.currentHealthy);
  if (s?.desiredHealthy !== undefined) view[FIELD.desiredHealthy] = String(s.desiredHealthy);
  if (s?.disruptionsAllowed !== undefined) view[FIELD.disruptionsAllowed] = String(s.disruptionsAllowed);
  return view;
}

export const budgetName = (b: V1PodDisruptionBudget) => `${b.metadata?.namespace}/${b.metadata?.name}`;

/** A timeline line: the time (UTC, to the millisecond), then what happened. */
export const stamp = (at: number, text: string) => `${new Date(at).toISOString()} ${text}`;
/** A time of day for messages (the timeline has the date). */
export const clock = (at: number) => new Date(at).toISOString().slice(11, 23);

const who = (kind: Kind, name: string) => (kind === 'node' ? name : `pdb ${name}`);
const fields = (v: View) => Object.entries(v).map(([k, x]) => `${k}=${x}`).join(' ');

export class RolloutRecord {
  readonly instants: Instant[] = [];
  readonly changes: Change[] = [];
  /** When each release was published while the record ran: a rollout is judged from then on. */
  readonly published = new Map<string, number>();
  #nodes = new Map<string, View>();
  #budgets = new Map<string, View>();

  /**
   * One look at the API: one object (a watch event; `undefined` when deleted), or every object
   * of a kind (a list: what it misses is gone). Returns the timeline's lines for what changed;
   * a look that changed nothing adds no instant.
   */
  see(at: number, kind: Kind, seen: ReadonlyMap<string, View | undefined>, complete = false): string[] {
    const state = kind === 'node' ? this.#nodes : this.#budgets;
    const next = new Map(state);
    const looks = new Map(seen);
    if (complete) for (const name of state.keys()) if (!looks.has(name)) looks.set(name, undefined);
    const lines: string[] = [];
    for (const [name, view] of looks) {
      const before = state.get(name);
      if (view === undefined) {
        if (!before) continue;
        next.delete(name);
        lines.push(stamp(at, `${who(kind, name)} gone`));
        this.changes.push(...Object.entries(before).map(([field, from]) => ({ at, kind, name, field, from })));
        continue;
      }
      next.set(name, view);
      const changed = [...new Set([...Object.keys(before ?? {}), ...Object.keys(view)])]
        .sort()
        .filter((field) => before?.[field] !== view[field])
        .map((field) => ({ at, kind, name, field, from: before?.[field], to: view[field] }));
      if (changed.length === 0) continue;
      this.changes.push(...changed);
      if (!before) lines.push(stamp(at, `${who(kind, name)} seen: ${fields(view)}`));
      else lines.push(...changed.map((c) => stamp(at, `${who(kind, name)} ${c.field}: ${c.from ?? 'unset'} -> ${c.to ?? 'unset'}`)));
    }
    if (lines.length === 0) return [];
    if (kind === 'node') this.#nodes = next;
    else this.#budgets = next;
    this.instants.push({ at, nodes: this.#nodes, budgets: this.#budgets });
    return lines;
  }

  /** A release went onto the channel the nodes follow. */
  publish(at: number, version: string, channel: string): string {
    this.published.set(version, at);
    return stamp(at, `published ${version} on channel ${channel}`);
  }

  /** The changes of one field since `from`, in order. */
  changesOf(field: string, from: number, name?: string): Change[] {
    return this.changes.filter((c) => c.field === field && c.at >= from && (name === undefined || c.name === name));
  }

  /** The latest state; empty before the first look. */
  get now(): Instant {
    return this.instants.at(-1) ?? { at: 0, nodes: new Map(), budgets: new Map() };
  }
}
