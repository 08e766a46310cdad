import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { LabError } from '../errors.js';
import { collectArtifacts, type ArtifactSource, type CollectResult } from './artifacts.js';
import { toJUnit } from './junit.js';
import { Progress, formatDuration, stepLabel, type ProgressStream } from './progress.js';
import { Timeline, stepResults, type EventFields } from './timeline.js';

export interface RunReportOptions {
  /** Where timeline.json, junit.xml and collected evidence go; without it, progress only. */
  artifactsDir?: string;
  lab: string;
  scenario: string;
  /** Print nothing (files are still written). */
  quiet?: boolean;
  /** Plain lines, no spinner: for CI and `--json`. Non-TTY streams get this anyway. */
  plain?: boolean;
  /** Where progress goes; stderr by default so stdout stays free for `--json`. */
  stream?: ProgressStream;
  /** Monotonic milliseconds, for tests that drive time. */
  now?: () => number;
  /**
   * Writes report.html into the artifacts dir once timeline.json and junit.xml are there
   * (src/html-report, a room above this one, so the runner passes it in); returns its path.
   */
  htmlReport?: (artifactsDir: string) => Promise<string>;
}

export interface FinishedReport {
  ok: boolean;
  /** Written only when the report has an artifacts dir. */
  timeline?: string;
  junit?: string;
  /** report.html; absent when it could not be written (the run's verdict stands regardless). */
  html?: string;
}

/** What a thrown value says in a step-fail event: the one-line message, its kind, and a stack for bugs. */
function describeError(err: unknown): { message: string; data: Record<string, unknown> } {
  if (err instanceof LabError) return { message: err.line(), data: { error: err.name } };
  if (err instanceof Error) return { message: err.message, data: { error: err.name, stack: err.stack } };
  // Something threw a non-Error (a library's event object, say): its own message beats "[object Object]".
  const said = (err as { message?: unknown } | undefined)?.message;
  return { message: typeof said === 'string' ? said : String(err), data: { error: 'Error' } };
}

/** Where a StepHandle reports to: its RunReport, bound to the step. */
interface StepSink {
  note(message: string, data?: Record<string, unknown>): void;
  end(outcome: 'ok' | 'fail' | 'skip', fields: EventFields): void;
}

/** One running (step, node). End it exactly once with ok, fail or skip. */
export class StepHandle {
  #done = false;
  readonly #evidence: string[] = [];

  constructor(
    readonly step: string,
    readonly node: string | undefined,
    private readonly sink: StepSink,
  ) {}

  get done(): boolean {
    return this.#done;
  }

  /** Evidence to cite if this step fails (e.g. the node's console log, known before the wait starts). */
  attach(...paths: string[]): this {
    this.#evidence.push(...paths);
    return this;
  }

  /** A note under this step, e.g. progress of a long wait. */
  info(message: string, data?: Record<string, unknown>): void {
    this.sink.note(message, data);
  }

  ok(message?: string, data?: Record<string, unknown>): void {
    this.#end('ok', { message, data });
  }

  fail(err: unknown, evidence: readonly string[] = []): void {
    const { message, data } = describeError(err);
    this.#end('fail', { message, data, evidence: [...new Set([...this.#evidence, ...evidence])] });
  }

  skip(reason?: string): void {
    this.#end('skip', { message: reason });
  }

  #end(outcome: 'ok' | 'fail' | 'skip', fields: EventFields): void {
    if (this.#done) throw new Error(`step "${stepLabel(this.step, this.node)}" already ended`);
    this.#done = true;
    this.sink.end(outcome, fields);
  }
}

/** Progress on the terminal plus timeline.json and junit.xml for one scenario run. */
export class RunReport {
  readonly artifactsDir: string | undefined;
  readonly timeline: Timeline;
  readonly #progress: Progress;
  readonly #htmlReport: RunReportOptions['htmlReport'];
  readonly #open = new Set<StepHandle>();
  #finished: Promise<FinishedReport> | undefined;

  constructor(opts: RunReportOptions) {
    this.artifactsDir = opts.artifactsDir && path.resolve(opts.artifactsDir);
    this.timeline = new Timeline(opts.lab, opts.scenario, { now: opts.now });
    this.#progress = new Progress({ stream: opts.stream, quiet: opts.quiet, plain: opts.plain });
    this.#htmlReport = opts.htmlReport;
  }

  get ok(): boolean {
    return this.timeline.ok;
  }

  start(step: string, node?: string): StepHandle {
    for (const other of this.#open) {
      if (other.step === step && other.node === node) throw new Error(`step "${stepLabel(step, node)}" is already running`);
    }
    const startMs = this.timeline.record('step-start', step, { node }).ms;
    this.#progress.begin(step, node);
    const handle: StepHandle = new StepHandle(step, node, {
      note: (message, data) => this.#note('info', message, { step, node, data }),
      end: (outcome, fields) => {
        this.#open.delete(handle);
        const event = this.timeline.record(`step-${outcome}`, step, { ...fields, node });
        this.#progress.end(step, node, outcome, event.ms - startMs, fields.message, fields.evidence);
      },
    });
    this.#open.add(handle);
    return handle;
  }

  /** Runs `fn` as a step: ok with its result unless `fn` ended the step itself; on throw, fail and rethrow. */
  async step<T>(step: string, node: string | undefined, fn: (s: StepHandle) => Promise<T> | T): Promise<T> {
    const s = this.start(step, node);
    try {
      const value = await fn(s);
      if (!s.done) s.ok();
      return value;
    } catch (err) {
      if (!s.done) s.fail(err);
      throw err;
    }
  }

  /**
   * Ends the run on an error no step reported (Ctrl-C between two steps, a bug): a failed `run`
   * line, so the summary cannot say passed. A failure a step reported is the run's already.
   */
  failRun(err: unknown): void {
    if (this.ok) this.start('run').fail(err);
  }

  /** A step that did not run (no start event). */
  skip(step: string, node?: string, reason?: string): void {
    this.timeline.record('step-skip', step, { node, message: reason });
    this.#progress.end(step, node, 'skip', 0, reason);
  }

  info(message: string, data?: Record<string, unknown>): void {
    this.#note('info', message, { data });
  }

  warn(message: string, data?: Record<string, unknown>): void {
    this.#note('warn', message, { data });
  }

  /** A heartbeat of running work ("still building Kubernetes: 3m elapsed"): shown, too frequent to keep. */
  activity(message: string): void {
    this.#progress.activity(message);
  }

  #note(kind: 'info' | 'warn', message: string, at: { step?: string; node?: string; data?: Record<string, unknown> }): void {
    this.timeline.record(kind, at.step ?? 'run', { node: at.node, message, data: at.data });
    this.#progress.note(kind, at.step ? `${stepLabel(at.step, at.node)}: ${message}` : message);
  }

  /** Copies evidence into the artifacts dir; each source that is missing becomes a warning, not an error. */
  async collect(files: readonly ArtifactSource[]): Promise<CollectResult> {
    const dir = this.artifactsDir;
    if (!dir) throw new Error('this report has no artifacts dir to collect into');
    const result = await collectArtifacts(dir, files);
    for (const m of result.missing) this.warn(`artifact ${m.name} not collected: ${m.src}: ${m.reason}`, { src: m.src });
    const missing = new Set(result.missing.map((m) => m.name));
    this.timeline.record('info', 'run', {
      message: `collected ${result.copied.length} of ${files.length} artifacts`,
      // Each copy with the lab file it came from: the HTML report links a step's evidence (lab paths) to its copy.
      data: { copied: Object.fromEntries(files.filter((f) => !missing.has(f.name)).map((f) => [f.name, f.src])) },
    });
    return result;
  }

  /** Fails steps still running, writes timeline.json, junit.xml (and report.html), prints the summary. Once. */
  finish(): Promise<FinishedReport> {
    this.#finished ??= this.#finish();
    return this.#finished;
  }

  async #finish(): Promise<FinishedReport> {
    for (const open of [...this.#open]) open.fail(new Error('still running when the run finished'));
    const doc = this.timeline.finish();
    this.#progress.summary(doc.ok, this.#summaryText(Date.parse(doc.finishedAt ?? doc.startedAt) - Date.parse(doc.startedAt)));
    if (!this.artifactsDir) return { ok: doc.ok };
    const files = { timeline: path.join(this.artifactsDir, 'timeline.json'), junit: path.join(this.artifactsDir, 'junit.xml') };
    await this.timeline.write(files.timeline);
    await writeFile(files.junit, toJUnit([doc]));
    const html = await this.#htmlReport?.(this.artifactsDir).catch((err: Error) => {
      this.#progress.note('warn', `report.html not written: ${err.message}; \`metal-lab report ${this.artifactsDir}\` tries again`);
      return undefined;
    });
    return { ok: doc.ok, ...files, ...(html ? { html } : {}) };
  }

  #summaryText(ms: number): string {
    const results = stepResults(this.timeline.events);
    const failed = results.filter((r) => r.outcome === 'fail');
    const skipped = results.filter((r) => r.outcome === 'skip').length;
    const run = `${this.timeline.scenario} on ${this.timeline.lab}`;
    const tail = `in ${formatDuration(ms)}${this.artifactsDir ? `; artifacts: ${this.artifactsDir}` : ''}`;
    if (failed.length) {
      const which = failed.map((r) => [r.node, r.step].filter(Boolean).join(' ')).join(', ');
      return `${run} failed: ${failed.length} of ${results.length} steps (${which}) ${tail}`;
    }
    const ran = results.length - skipped;
    return `${run} passed: ${ran} steps ok${skipped ? `, ${skipped} skipped` : ''} ${tail}`;
  }
}
