import logSymbols from 'log-symbols';
import ora, { type Ora } from 'ora';
import { HEARTBEAT_MS } from '../toolkit/heartbeat.js';

/**
 * tty: one ora spinner naming every running step and node, a persisted ✔/✖ line per finished
 * (step, node). ora draws a single spinner per stream, and concurrent per-node steps finish in
 * any order, so the spinner stands for the whole running set and each result becomes its own
 * line above it. (listr2 would model a fixed task tree; our steps start ad hoc from the runner.)
 * plain: the same lines without control codes, plus a line when a step starts (CI, --json), and
 * while steps run, a "still" line whenever HEARTBEAT_MS pass with nothing written.
 * quiet: nothing.
 * Either way the terminal is never silent for long while something runs: the spinner ticks its
 * clock, the plain stream gets its "still" lines.
 */
export type ProgressMode = 'tty' | 'plain' | 'quiet';

export type EndOutcome = 'ok' | 'fail' | 'skip';

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function progressMode(stream: ProgressStream, opts: { quiet?: boolean; plain?: boolean } = {}): ProgressMode {
  if (opts.quiet) return 'quiet';
  // ora's test (is-interactive: a TTY, not dumb, not CI), plus a width: a pty that reports
  // 0 columns (`script`, `docker run -t` before a resize) makes ora's line count infinite and
  // its clear() loop forever.
  const interactive =
    stream.isTTY === true && stream.columns !== 0 && process.env.TERM !== 'dumb' && !('CI' in process.env);
  return opts.plain || !interactive ? 'plain' : 'tty';
}

type SymbolName = 'ok' | 'fail' | 'skip' | 'info' | 'warn';
const PLAIN_SYMBOL: Record<SymbolName, string> = { ok: '✔', fail: '✖', skip: '↓', info: 'ℹ', warn: '⚠' };
/** Coloured, with ASCII fallbacks where the terminal lacks Unicode. */
const TTY_SYMBOL: Record<SymbolName, string> = {
  ok: logSymbols.success,
  fail: logSymbols.error,
  skip: '↓',
  info: logSymbols.info,
  warn: logSymbols.warning,
};

/** 850 -> "850ms", 3200 -> "3.2s", 192000 -> "3m12s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

export function stepLabel(step: string, node?: string): string {
  return node ? `${node}  ${step}` : step;
}

/** The finished-step line, without its symbol. A failure names node, step and evidence. */
export function endLine(
  step: string,
  node: string | undefined,
  outcome: EndOutcome,
  elapsedMs: number,
  message?: string,
  evidence: readonly string[] = [],
): string {
  const label = stepLabel(step, node);
  const time = `(${formatDuration(elapsedMs)})`;
  if (outcome === 'ok') return [label, message, time].filter(Boolean).join(' ');
  const verb = outcome === 'fail' ? 'failed' : 'skipped';
  const line = `${label} ${verb}${message ? `: ${message}` : ''}${outcome === 'fail' ? ` ${time}` : ''}`;
  return evidence.length ? `${line}; evidence: ${evidence.join(', ')}` : line;
}

interface Running {
  step: string;
  node?: string;
  since: number;
}

export class Progress {
  readonly mode: ProgressMode;
  readonly #stream: ProgressStream;
  readonly #running = new Map<string, Running>();
  readonly #spinner: Ora | undefined;
  readonly #quietMs: number;
  #lastWrite = Date.now();
  #quietTimer: NodeJS.Timeout | undefined;
  /** The latest thing the running work said of itself ("still building Kubernetes …"). */
  #activity: string | undefined;

  constructor(opts: { stream?: ProgressStream; quiet?: boolean; plain?: boolean; quietMs?: number } = {}) {
    this.#stream = opts.stream ?? process.stderr;
    this.mode = progressMode(this.#stream, opts);
    this.#quietMs = opts.quietMs ?? HEARTBEAT_MS;
    if (this.mode === 'tty') {
      this.#spinner = ora({
        stream: this.#stream as NodeJS.WritableStream,
        isEnabled: true,
        // Evaluated on every frame, so the elapsed time ticks without a timer of our own.
        suffixText: () => this.#elapsedSuffix(),
      });
    }
  }

  begin(step: string, node?: string): void {
    this.#running.set(key(step, node), { step, node, since: Date.now() });
    if (this.mode === 'plain') this.#write(`… ${stepLabel(step, node)}\n`);
    this.#refresh();
  }

  /**
   * What running work says of itself, too often to keep (a build's heartbeat): the spinner shows
   * it after the running steps; the plain stream prints it, which also counts as not silent.
   */
  activity(text: string): void {
    this.#activity = text;
    if (this.mode === 'plain') this.#write(`… ${text}\n`);
    this.#refresh();
  }

  end(step: string, node: string | undefined, outcome: EndOutcome, elapsedMs: number, message?: string, evidence?: readonly string[]): void {
    this.#running.delete(key(step, node));
    this.#activity = undefined;
    this.#persist(outcome, endLine(step, node, outcome, elapsedMs, message, evidence));
  }

  note(kind: 'info' | 'warn', text: string): void {
    this.#persist(kind, text);
  }

  /** The closing line of a run; stops the spinner for good. */
  summary(ok: boolean, text: string): void {
    this.#running.clear();
    this.#persist(ok ? 'ok' : 'fail', text);
  }

  /** Running steps grouped by step name: "dhcp lease node1, node2 · boot server up". */
  runningText(): string {
    const groups = new Map<string, string[]>();
    for (const r of this.#running.values()) {
      const nodes = groups.get(r.step) ?? [];
      if (r.node) nodes.push(r.node);
      groups.set(r.step, nodes);
    }
    return [...groups].map(([step, nodes]) => (nodes.length ? `${step} ${nodes.join(', ')}` : step)).join(' · ');
  }

  #elapsedSuffix(): string {
    const oldest = Math.min(...[...this.#running.values()].map((r) => r.since));
    return Number.isFinite(oldest) ? `(${formatDuration(Date.now() - oldest)})` : '';
  }

  /** Spinner (or the plain stream's quiet timer) on while steps run, off when nothing does. */
  #refresh(): void {
    if (this.mode === 'plain') this.#watchQuiet();
    if (!this.#spinner) return;
    if (this.#running.size === 0) {
      this.#spinner.stop();
      return;
    }
    this.#spinner.text = [this.runningText(), this.#activity].filter(Boolean).join(' — ');
    if (this.#spinner.isSpinning) this.#spinner.render();
    else this.#spinner.start();
  }

  /** A finished line above the spinner (which then resumes if steps still run). */
  #persist(symbol: SymbolName, text: string): void {
    if (this.#spinner) {
      // suffixText '' so the persisted line does not inherit the spinner's running clock.
      this.#spinner.stopAndPersist({ symbol: TTY_SYMBOL[symbol], text, suffixText: '' });
      this.#refresh();
    } else if (this.mode === 'plain') {
      this.#write(`${PLAIN_SYMBOL[symbol]} ${text}\n`);
      this.#refresh();
    }
  }

  #write(line: string): void {
    this.#lastWrite = Date.now();
    this.#stream.write(line);
  }

  /** While steps run, a "still" line after every #quietMs with nothing written. The timer keeps no process alive. */
  #watchQuiet(): void {
    if (this.#running.size === 0) {
      clearInterval(this.#quietTimer);
      this.#quietTimer = undefined;
      return;
    }
    this.#quietTimer ??= setInterval(() => {
      if (Date.now() - this.#lastWrite >= this.#quietMs) this.#write(`… still ${this.runningText()} ${this.#elapsedSuffix()}\n`);
    }, Math.min(1000, this.#quietMs / 4));
    this.#quietTimer.unref();
  }
}

function key(step: string, node?: string): string {
  return `${step}\u0000${node ?? ''}`;
}
