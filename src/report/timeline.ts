import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

export type EventKind = 'step-start' | 'step-ok' | 'step-fail' | 'step-skip' | 'info' | 'warn';

export interface TimelineEvent {
  /** Wall-clock time of the event. */
  t: string;
  /** Milliseconds since the run started (monotonic: immune to wall-clock jumps mid-run). */
  ms: number;
  kind: EventKind;
  step: string;
  node?: string;
  message?: string;
  /** Paths of files that explain the event (console logs, request log, leases). */
  evidence?: string[];
  data?: Record<string, unknown>;
}

/** The `timeline.json` document: the single source JUnit, the summary and the HTML report derive from. */
export interface TimelineDoc {
  lab: string;
  scenario: string;
  startedAt: string;
  finishedAt: string | null;
  ok: boolean;
  events: TimelineEvent[];
}

export type EventFields = Pick<TimelineEvent, 'node' | 'message' | 'evidence' | 'data'>;

export interface TimelineOptions {
  /** Monotonic milliseconds; injectable so tests can drive time. */
  now?: () => number;
  /** Wall-clock start of the run. */
  startedAt?: Date;
}

export class Timeline {
  readonly startedAt: string;
  #finishedAt: string | null = null;
  readonly #events: TimelineEvent[] = [];
  readonly #now: () => number;
  readonly #startWall: number;
  readonly #startMono: number;

  constructor(
    readonly lab: string,
    readonly scenario: string,
    options: TimelineOptions = {},
  ) {
    this.#now = options.now ?? (() => performance.now());
    this.#startMono = this.#now();
    this.#startWall = (options.startedAt ?? new Date()).getTime();
    this.startedAt = new Date(this.#startWall).toISOString();
  }

  /** Milliseconds since the run started. */
  elapsed(): number {
    return Math.round(this.#now() - this.#startMono);
  }

  record(kind: EventKind, step: string, fields: EventFields = {}): TimelineEvent {
    if (this.#finishedAt) throw new Error(`timeline for ${this.scenario} is finished; cannot record "${step}"`);
    const ms = this.elapsed();
    const event: TimelineEvent = { t: new Date(this.#startWall + ms).toISOString(), ms, kind, step };
    // Only defined fields, so the JSON stays free of `undefined` holes and reads cleanly.
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) Object.assign(event, { [key]: value });
    }
    this.#events.push(event);
    return event;
  }

  get events(): readonly TimelineEvent[] {
    return this.#events;
  }

  /** False as soon as any step failed. */
  get ok(): boolean {
    return !this.#events.some((e) => e.kind === 'step-fail');
  }

  /** Stamps the end of the run; later `record` calls throw. */
  finish(): TimelineDoc {
    this.#finishedAt ??= new Date(this.#startWall + this.elapsed()).toISOString();
    return this.toJSON();
  }

  toJSON(): TimelineDoc {
    return {
      lab: this.lab,
      scenario: this.scenario,
      startedAt: this.startedAt,
      finishedAt: this.#finishedAt,
      ok: this.ok,
      events: [...this.#events],
    };
  }

  async write(file: string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify(this.toJSON(), null, 2)}\n`);
  }
}

export type StepOutcome = 'ok' | 'fail' | 'skip' | 'unfinished';

/** One (step, node) pair as it played out: what JUnit and summaries are made of. */
export interface StepResult {
  step: string;
  node?: string;
  outcome: StepOutcome;
  startMs: number;
  endMs: number;
  message?: string;
  evidence: string[];
  data?: Record<string, unknown>;
}

const END_OUTCOME: Partial<Record<EventKind, StepOutcome>> = {
  'step-ok': 'ok',
  'step-fail': 'fail',
  'step-skip': 'skip',
};

/**
 * Pairs each step-start with the step-ok/fail/skip of the same (step, node), in start order.
 * A skip needs no start; a start with no end (a crashed run) comes out 'unfinished'.
 */
export function stepResults(events: readonly TimelineEvent[]): StepResult[] {
  const results: StepResult[] = [];
  const open = new Map<string, StepResult>();
  for (const e of events) {
    const key = `${e.step}\u0000${e.node ?? ''}`;
    if (e.kind === 'step-start') {
      const started: StepResult = { step: e.step, node: e.node, outcome: 'unfinished', startMs: e.ms, endMs: e.ms, evidence: [] };
      open.set(key, started);
      results.push(started);
      continue;
    }
    const outcome = END_OUTCOME[e.kind];
    if (!outcome) continue;
    let result = open.get(key);
    open.delete(key);
    if (!result) {
      result = { step: e.step, node: e.node, outcome, startMs: e.ms, endMs: e.ms, evidence: [] };
      results.push(result);
    }
    Object.assign(result, { outcome, endMs: e.ms, message: e.message, evidence: e.evidence ?? [], data: e.data });
  }
  return results;
}
