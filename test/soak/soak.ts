/**
 * npm run soak [-- --cycles N --max-minutes M --lab LAB --seed S]: the lab lifecycle again and
 * again. Each cycle runs `metal-lab up`, then one of: Ctrl-C at a random step (up cleans up by
 * itself, as the README promises, so no `down`), kill -9 at a random step then `down`, or up to
 * the end then `down`. After each, findLeftovers says what the lab left on the host. Exits 1 on
 * any leftover or failed cycle.
 */
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { execa, type Result } from 'execa';
import { labFromArg } from '../../src/cli/resolve.js';
import { LabError } from '../../src/errors.js';
import { hostLayout } from '../../src/ground/host-layout.js';
import type { LabSpec } from '../../src/ground/lab-spec.js';
import { findLeftovers } from '../../src/lab/leftovers.js';
import { selfCommand } from '../../src/lab/self.js';
import { upActions } from '../../src/lab/up.js';
import { formatDuration, stepLabel } from '../../src/report/progress.js';
import { lastLines } from '../../src/toolkit/command-error.js';

/** Generous: an `up` that builds an image first takes minutes; a hung child must still end. */
const UP_TIMEOUT_MS = 20 * 60_000;
const DOWN_TIMEOUT_MS = 5 * 60_000;
/** How far past the start of its step a signal may land: mini's creating steps take 20-400 ms each here. */
const MAX_DELAY_MS = 400;
/** A second look before calling something left: libvirt stops dnsmasq without waiting for it. */
const SETTLE_MS = 2000;
/** What up exits with on Ctrl-C (src/cli/interruptible.ts). */
const INTERRUPTED = 130;

type Kind = 'sigint' | 'kill -9' | 'clean';

interface Plan {
  kind: Kind;
  /** The progress line of the step to interrupt, as `up` prints it when the step starts. */
  step: string;
  delayMs: number;
}

interface Outcome {
  what: string;
  problems: string[];
  leftovers: string[];
}

function options() {
  const { values } = parseArgs({
    options: { cycles: { type: 'string', default: '20' }, 'max-minutes': { type: 'string', default: '60' }, lab: { type: 'string', default: 'mini' }, seed: { type: 'string' } },
  });
  const int = (name: string, text: string) => {
    if (!/^\d+$/.test(text)) throw new Error(`--${name} takes a whole number, not ${text}`);
    return Number(text);
  };
  return {
    cycles: int('cycles', values.cycles),
    maxMinutes: int('max-minutes', values['max-minutes']),
    lab: values.lab,
    seed: values.seed === undefined ? randomInt(2 ** 31) : int('seed', values.seed),
  };
}

/** mulberry32: a small seeded generator, so that a seed replays the same cycles. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The progress lines of up's steps that create something (the lab files on), where an interruption has something to undo. */
function creatingSteps(lab: LabSpec): string[] {
  const actions = upActions(lab, 'live').flat();
  return actions.slice(actions.findIndex((a) => a.creates)).map((a) => stepLabel(a.name, a.node));
}

/** Three draws per cycle whatever it turns out to be, so each cycle's plan depends on the seed alone. */
function plans(seed: number, count: number, steps: string[]): Plan[] {
  const next = random(seed);
  const kinds: Kind[] = ['sigint', 'kill -9', 'clean'];
  return Array.from({ length: count }, () => ({ kind: kinds[Math.floor(next() * 3)]!, step: steps[Math.floor(next() * steps.length)]!, delayMs: Math.floor(next() * MAX_DELAY_MS) }));
}

/**
 * `metal-lab ARGS` from sources, with plain progress lines (CI). In its own process group: a
 * Ctrl-C at the terminal must reach the soak alone, which passes it on once; up takes a second
 * one as "quit now", without cleaning up.
 */
function metalLab(args: string[], timeoutMs: number, onLine: (line: string) => void = () => {}) {
  const self = selfCommand();
  return execa(self.file, [...self.args, ...args], {
    detached: true,
    stdin: 'ignore',
    stderr: [function* (line: unknown) {
      onLine(String(line));
      yield line;
    }],
    all: true,
    reject: false,
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    env: { CI: '1' },
  });
}

/** What went wrong with a CLI run, if it did not end with `exitCode`. */
function unexpected(what: string, r: Result, exitCode: number): string[] {
  if (r.timedOut) return [`${what} timed out and was killed`];
  if (r.exitCode === exitCode) return [];
  return [`${what} ${r.exitCode === undefined ? `died of ${r.signal}` : `exited ${r.exitCode}`}, not ${exitCode}: ${lastLines(String(r.all ?? ''))}`];
}

/** A signal the soak sent to up, and how to tell it. */
interface Sent {
  signal: NodeJS.Signals;
  what: string;
}

/** The steps running as up's progress lines tell: `… STEP` when one starts, `✔ STEP …` (✖, ↓) when it ends. */
function runningSteps(steps: readonly string[]) {
  const running = new Set<string>();
  return {
    read(line: string) {
      const step = steps.find((s) => line.slice(2) === s || line.slice(2).startsWith(`${s} `));
      if (step && line.startsWith('… ')) running.add(step);
      else if (step && /^[✔✖↓] /.test(line)) running.delete(step);
    },
    where: () => (running.size ? `while ${[...running].map((s) => `"${s}"`).join(', ')} ran` : 'between steps'),
  };
}

/**
 * Runs up; sends the plan's signal `delayMs` after its step's progress line, or SIGINT when the
 * soak is stopped: one signal at most, told with where in up it landed.
 */
async function runUp(lab: LabSpec, plan: Plan, steps: readonly string[], stop: AbortSignal) {
  const started = performance.now();
  const running = runningSteps(steps);
  let sent: Sent | undefined;
  let timer: NodeJS.Timeout | undefined;
  const send = (signal: NodeJS.Signals, what: string) => {
    const at = `(${formatDuration(performance.now() - started)} into up, ${running.where()})`;
    if (!sent && up.kill(signal)) sent = { signal, what: `${what} ${at}` };
  };
  const signal = plan.kind === 'sigint' ? 'SIGINT' : plan.kind === 'kill -9' ? 'SIGKILL' : undefined;
  const planned = `${plan.kind} at "${plan.step}" +${(plan.delayMs / 1000).toFixed(2)}s`;
  const up = metalLab(['up', lab.file], UP_TIMEOUT_MS, (line) => {
    running.read(line);
    if (signal && line === `… ${plan.step}`) timer ??= setTimeout(() => send(signal, planned), plan.delayMs);
  });
  const onStop = () => send('SIGINT', 'SIGINT as the soak stops');
  stop.addEventListener('abort', onStop);
  const result = await up;
  clearTimeout(timer);
  stop.removeEventListener('abort', onStop);
  return { result, sent, tookMs: performance.now() - started };
}

/** findLeftovers, looked at twice before anything is called left. */
async function leftovers(lab: LabSpec): Promise<string[]> {
  const look = () => findLeftovers(lab.id, hostLayout(), { bridge: lab.network.bridge });
  if ((await look()).length === 0) return [];
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  return look();
}

async function down(lab: LabSpec): Promise<string[]> {
  return unexpected('down', await metalLab(['down', lab.id], DOWN_TIMEOUT_MS), 0);
}

async function runCycle(lab: LabSpec, plan: Plan, steps: readonly string[], stop: AbortSignal): Promise<Outcome> {
  const { result, sent, tookMs } = await runUp(lab, plan, steps, stop);
  const outcome = async (what: string, problems: string[]) => ({ what, problems, leftovers: await leftovers(lab) });
  // A crash is down's to clean up.
  if (sent?.signal === 'SIGKILL') return outcome(`${sent.what}, then down`, await down(lab));
  // A Ctrl-C after up's last action stops nothing: up exits 0 and the lab is up, for down.
  if (sent && result.exitCode === 0) return outcome(`${sent.what}, after up's last action, then down`, await down(lab));
  // Ctrl-C: up removes what it created itself, so nothing runs before the look.
  if (sent) return outcome(sent.what, unexpected('up', result, INTERRUPTED));
  const what = plan.kind === 'clean' ? 'up' : `up ended before the ${plan.kind} was due: up`;
  return outcome(`${what} (${formatDuration(tookMs)}), then down`, [...unexpected('up', result, 0), ...(await down(lab))]);
}

function report(n: number, of: number, o: Outcome): void {
  const verdict = [
    ...(o.problems.length ? [`FAILED ${o.problems.join('; ')}`] : []),
    ...(o.leftovers.length ? [`${o.leftovers.length} LEFTOVERS: ${o.leftovers.join('; ')}`] : []),
  ];
  console.log(`cycle ${n}/${of} ${o.what}: ${verdict.join(' | ') || 'clean'}`);
}

async function main(): Promise<number> {
  const opts = options();
  const lab = await labFromArg(opts.lab);
  const already = await findLeftovers(lab.id, hostLayout(), { bridge: lab.network.bridge });
  if (already.length > 0) {
    console.log(`soak: lab ${lab.id} is already on this host (${already.slice(0, 3).join('; ')}${already.length > 3 ? '; …' : ''}): run \`./metal-lab down ${lab.id}\` first`);
    return 2;
  }
  const stop = new AbortController();
  const onSignal = () => {
    if (!stop.signal.aborted) console.log(`soak: stopping: taking lab ${lab.id} down first`);
    stop.abort();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  console.log(`soak: lab ${lab.id} (${lab.file}), ${opts.cycles} cycles, at most ${opts.maxMinutes} min, seed ${opts.seed}`);
  const started = performance.now();
  const outcomes: Outcome[] = [];
  let notGone = false;
  const steps = creatingSteps(lab);
  for (const [i, plan] of plans(opts.seed, opts.cycles, steps).entries()) {
    if (stop.signal.aborted) break;
    if (performance.now() - started >= opts.maxMinutes * 60_000) {
      console.log(`soak: ${opts.maxMinutes} min are up: no cycle ${i + 1} of ${opts.cycles}`);
      break;
    }
    const outcome = await runCycle(lab, plan, steps, stop.signal);
    outcomes.push(outcome);
    report(i + 1, opts.cycles, outcome);
    // The next cycle starts from nothing, or not at all.
    if (outcome.leftovers.length > 0 || stop.signal.aborted) {
      const still = [...(await down(lab)), ...(await leftovers(lab))];
      notGone = still.length > 0;
      if (notGone) {
        console.log(`soak: lab ${lab.id} is not gone after down (${still.join('; ')}): stopping`);
        break;
      }
    }
  }
  const withLeftovers = outcomes.filter((o) => o.leftovers.length > 0).length;
  const failed = outcomes.filter((o) => o.problems.length > 0).length;
  console.log(`${outcomes.length} cycle${outcomes.length === 1 ? '' : 's'}, ${withLeftovers} with leftovers${failed ? `, ${failed} failed` : ''} (${formatDuration(performance.now() - started)}, seed ${opts.seed})`);
  if (withLeftovers > 0 || failed > 0 || notGone) return 1;
  return stop.signal.aborted ? INTERRUPTED : 0;
}

process.exitCode = await main().catch((err: unknown) => {
  console.error(`soak: ${err instanceof LabError ? err.line() : err instanceof Error ? err.message : String(err)}`);
  return 2;
});
